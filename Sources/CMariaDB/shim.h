#include <mysql.h>
#include <mariadb_rpl.h>

/* mariadb_rpl_optionsv is variadic, which Swift cannot call: one fixed-signature wrapper per option used. */
static inline int tributary_rpl_set_file(MARIADB_RPL *rpl, const char *name, size_t length) {
    return mariadb_rpl_optionsv(rpl, MARIADB_RPL_FILENAME, name, length);
}
static inline int tributary_rpl_set_start(MARIADB_RPL *rpl, unsigned long position) {
    return mariadb_rpl_optionsv(rpl, MARIADB_RPL_START, position);
}
static inline int tributary_rpl_set_server_id(MARIADB_RPL *rpl, unsigned int server_id) {
    return mariadb_rpl_optionsv(rpl, MARIADB_RPL_SERVER_ID, server_id);
}
static inline int tributary_rpl_set_flags(MARIADB_RPL *rpl, unsigned int flags) {
    return mariadb_rpl_optionsv(rpl, MARIADB_RPL_FLAGS, flags);
}
/* mysql_optionsv likewise. */
static inline int tributary_set_read_timeout(MYSQL *mysql, const unsigned int *seconds) {
    return mysql_optionsv(mysql, MYSQL_OPT_READ_TIMEOUT, seconds);
}
static inline int tributary_set_connect_timeout(MYSQL *mysql, const unsigned int *seconds) {
    return mysql_optionsv(mysql, MYSQL_OPT_CONNECT_TIMEOUT, seconds);
}
/* COM_BINLOG_DUMP_GTID: MySQL's command 0x1e (MariaDB's headers call the code COM_UNSUPPORTED). mariadb_rpl_open
   sends only COM_BINLOG_DUMP, so the request goes through the connection's command method, as the library sends
   its own; the events then come through mariadb_rpl_fetch as after mariadb_rpl_open. */
static inline int tributary_binlog_dump_gtid(MYSQL *mysql, const unsigned char *payload, size_t length) {
    return mysql->methods->db_command(mysql, (enum enum_server_command)0x1e, (const char *)payload, length, 1, 0);
}
