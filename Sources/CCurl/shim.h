#include <curl/curl.h>

// curl_easy_setopt and curl_easy_getinfo are variadic, which Swift cannot call: one typed wrapper per
// argument kind.
static inline CURLcode tributary_curl_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode tributary_curl_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode tributary_curl_setopt_pointer(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}

typedef size_t (*tributary_curl_write_callback)(char *data, size_t size, size_t count, void *context);

static inline CURLcode tributary_curl_setopt_write(CURL *handle, tributary_curl_write_callback callback) {
    return curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, callback);
}

static inline CURLcode tributary_curl_response_code(CURL *handle, long *code) {
    return curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, code);
}

// CURLAUTH_BASIC is a macro with a cast, which Swift does not import.
static inline CURLcode tributary_curl_basic_auth(CURL *handle, const char *user_password) {
    CURLcode code = curl_easy_setopt(handle, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    return code != CURLE_OK ? code : curl_easy_setopt(handle, CURLOPT_USERPWD, user_password);
}
