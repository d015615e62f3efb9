// SQLite (the amalgamation carried by the npm package better-sqlite3, deps/sqlite3/) with
// a small SQL workload on a database file in a preopened directory: tables, a prepared
// insert of 1000 rows in a transaction, a join with an aggregate, an index, a recursive
// CTE, JSON, and reading the data back after reopening the file.
// sqlite: -DSQLITE_OMIT_LOAD_EXTENSION -DSQLITE_THREADSAFE=0
// preopen: /db
// args: /db/test.db
// expect-exit: 0
#include <stdio.h>
#include "sqlite3.h"

static int row(void *tag, int n, char **v, char **col) {
    printf("%s:", (const char *)tag);
    for (int i = 0; i < n; i++) printf(" %s=%s", col[i], v[i] ? v[i] : "NULL");
    printf("\n");
    return 0;
}

static int exec(sqlite3 *db, const char *tag, const char *sql) {
    char *err = 0;
    if (sqlite3_exec(db, sql, row, (void *)tag, &err) != SQLITE_OK) {
        printf("%s: error: %s\n", tag, err);
        sqlite3_free(err);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv) {
    const char *path = argc > 1 ? argv[1] : ":memory:";
    sqlite3 *db;
    if (sqlite3_open(path, &db) != SQLITE_OK) { printf("open failed\n"); return 2; }
    printf("sqlite %s\n", sqlite3_libversion());
    int bad = 0;
    bad |= exec(db, "ddl",
        "CREATE TABLE dept(id INTEGER PRIMARY KEY, name TEXT NOT NULL);"
        "CREATE TABLE emp(id INTEGER PRIMARY KEY, name TEXT, dept INTEGER REFERENCES dept(id), salary REAL);");
    bad |= exec(db, "ins", "INSERT INTO dept VALUES (1, 'eng'), (2, 'ops'), (3, 'sales');");
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "INSERT INTO emp(name, dept, salary) VALUES (?, ?, ?)", -1, &st, 0) != SQLITE_OK)
        return 3;
    bad |= exec(db, "tx", "BEGIN");
    for (int i = 0; i < 1000; i++) {
        char name[32];
        snprintf(name, sizeof name, "emp%04d", i);
        sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(st, 2, 1 + (i * 7) % 3);
        sqlite3_bind_double(st, 3, 1000.0 + (i * 37) % 500 + 0.25);
        if (sqlite3_step(st) != SQLITE_DONE) bad = 1;
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    bad |= exec(db, "tx", "COMMIT");
    bad |= exec(db, "agg",
        "SELECT d.name, count(*) AS n, round(avg(e.salary), 3) AS avg, max(e.salary) AS top "
        "FROM emp e JOIN dept d ON d.id = e.dept GROUP BY d.name ORDER BY d.name;");
    bad |= exec(db, "idx", "CREATE INDEX emp_salary ON emp(salary);");
    bad |= exec(db, "top",
        "SELECT e.name, d.name AS dept, e.salary FROM emp e JOIN dept d ON d.id = e.dept "
        "ORDER BY e.salary DESC, e.name LIMIT 3;");
    bad |= exec(db, "sum", "SELECT sum(salary) AS total, group_concat(DISTINCT dept) AS depts FROM emp;");
    bad |= exec(db, "cte",
        "WITH RECURSIVE fib(a, b, n) AS (SELECT 0, 1, 0 UNION ALL SELECT b, a + b, n + 1 FROM fib WHERE n < 20) "
        "SELECT max(a) AS fib20 FROM fib;");
    bad |= exec(db, "json", "SELECT json_object('k', 1, 'v', json_array(1, 2.5, 'x')) AS j;");
    bad |= exec(db, "upd", "UPDATE emp SET salary = salary * 1.1 WHERE dept = 2;");
    bad |= exec(db, "chg", "SELECT changes() AS updated;");
    sqlite3_close(db);

    if (sqlite3_open(path, &db) != SQLITE_OK) { printf("reopen failed\n"); return 2; }
    bad |= exec(db, "reopen", "SELECT count(*) AS rows, round(sum(salary), 2) AS total FROM emp;");
    bad |= exec(db, "having",
        "SELECT dept, count(*) AS n FROM emp WHERE salary > 1400 GROUP BY dept HAVING n > 60 ORDER BY dept;");
    sqlite3_close(db);
    return bad;
}
