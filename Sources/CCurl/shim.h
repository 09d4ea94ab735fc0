#include <curl/curl.h>
#include <dlfcn.h>
#include <stdio.h>

// libcurl is opened with dlopen when the first Schema Registry client is made, not linked: its dependencies
// (TLS, HTTP/2, LDAP, SSH, …) cost several MB of memory that workers without a registry should not pay.
typedef struct {
    CURLcode (*global_init)(long flags);
    CURL *(*easy_init)(void);
    void (*easy_cleanup)(CURL *handle);
    void (*easy_reset)(CURL *handle);
    CURLcode (*easy_perform)(CURL *handle);
    const char *(*easy_strerror)(CURLcode code);
    CURLcode (*easy_setopt)(CURL *handle, CURLoption option, ...);
    CURLcode (*easy_getinfo)(CURL *handle, CURLINFO info, ...);
    struct curl_slist *(*slist_append)(struct curl_slist *list, const char *string);
    void (*slist_free_all)(struct curl_slist *list);
} tributary_curl_api;

// Fills `api` from libcurl.so.4; returns 0, or -1 with the reason in `error` (at most `size` bytes).
static inline int tributary_curl_open(tributary_curl_api *api, char *error, size_t size) {
    void *library = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (library == NULL) {
        snprintf(error, size, "%s", dlerror());
        return -1;
    }
#define TRIBUTARY_CURL_SYMBOL(field, name)                                        \
    *(void **)(&api->field) = dlsym(library, name);                               \
    if (api->field == NULL) {                                                     \
        snprintf(error, size, "libcurl.so.4 has no %s", name);                    \
        return -1;                                                                \
    }
    TRIBUTARY_CURL_SYMBOL(global_init, "curl_global_init")
    TRIBUTARY_CURL_SYMBOL(easy_init, "curl_easy_init")
    TRIBUTARY_CURL_SYMBOL(easy_cleanup, "curl_easy_cleanup")
    TRIBUTARY_CURL_SYMBOL(easy_reset, "curl_easy_reset")
    TRIBUTARY_CURL_SYMBOL(easy_perform, "curl_easy_perform")
    TRIBUTARY_CURL_SYMBOL(easy_strerror, "curl_easy_strerror")
    TRIBUTARY_CURL_SYMBOL(easy_setopt, "curl_easy_setopt")
    TRIBUTARY_CURL_SYMBOL(easy_getinfo, "curl_easy_getinfo")
    TRIBUTARY_CURL_SYMBOL(slist_append, "curl_slist_append")
    TRIBUTARY_CURL_SYMBOL(slist_free_all, "curl_slist_free_all")
#undef TRIBUTARY_CURL_SYMBOL
    return api->global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : (snprintf(error, size, "curl_global_init failed"), -1);
}

// curl_easy_setopt and curl_easy_getinfo are variadic, which Swift cannot call: one typed wrapper per
// argument kind.
static inline CURLcode tributary_curl_setopt_long(const tributary_curl_api *api, CURL *handle, CURLoption option,
                                                  long value) {
    return api->easy_setopt(handle, option, value);
}

static inline CURLcode tributary_curl_setopt_string(const tributary_curl_api *api, CURL *handle, CURLoption option,
                                                    const char *value) {
    return api->easy_setopt(handle, option, value);
}

static inline CURLcode tributary_curl_setopt_pointer(const tributary_curl_api *api, CURL *handle, CURLoption option,
                                                     void *value) {
    return api->easy_setopt(handle, option, value);
}

typedef size_t (*tributary_curl_write_callback)(char *data, size_t size, size_t count, void *context);

static inline CURLcode tributary_curl_setopt_write(const tributary_curl_api *api, CURL *handle,
                                                   tributary_curl_write_callback callback) {
    return api->easy_setopt(handle, CURLOPT_WRITEFUNCTION, callback);
}

static inline CURLcode tributary_curl_response_code(const tributary_curl_api *api, CURL *handle, long *code) {
    return api->easy_getinfo(handle, CURLINFO_RESPONSE_CODE, code);
}

// CURLAUTH_BASIC is a macro with a cast, which Swift does not import.
static inline CURLcode tributary_curl_basic_auth(const tributary_curl_api *api, CURL *handle,
                                                 const char *user_password) {
    CURLcode code = api->easy_setopt(handle, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    return code != CURLE_OK ? code : api->easy_setopt(handle, CURLOPT_USERPWD, user_password);
}
