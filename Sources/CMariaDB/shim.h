#include <mysql.h>
#include <mariadb_rpl.h>
