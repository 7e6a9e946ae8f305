//! The schema check: `src/schema.rs` (what the queries are compiled
//! against) names exactly the tables and columns the migrations create,
//! with matching types and nullability, on SQLite and on MySQL.

use std::collections::BTreeMap;

use diesel::QueryableByName;
use diesel::sql_types::{Integer, Text};
use diesel_async::RunQueryDsl;

use super::{Db, DbConfig, DbError, prepare_db, with_conn};

/// One column as a table's definition gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Column {
    /// Diesel's SQL type name in `schema.rs`, e.g. `Text`.
    kind: String,
    nullable: bool,
}

/// Table name → column name → column.
type Tables = BTreeMap<String, BTreeMap<String, Column>>;

/// The tables of `schema.rs`, read from its source.
fn schema_rs_tables() -> Tables {
    let source = include_str!("../schema.rs");
    let mut tables = Tables::new();
    let mut table: Option<String> = None;
    let mut sql_name: Option<String> = None;
    for line in source.lines().map(str::trim) {
        if let Some(rest) = line.strip_suffix('{').filter(|_| line.contains('(')) {
            let name = rest.split('(').next().unwrap().trim().to_owned();
            tables.insert(name.clone(), BTreeMap::new());
            table = Some(name);
        } else if let Some(name) = line
            .strip_prefix("#[sql_name = \"")
            .and_then(|r| r.strip_suffix("\"]"))
        {
            sql_name = Some(name.to_owned());
        } else if let (Some(t), Some((name, kind))) = (&table, line.split_once(" -> ")) {
            let kind = kind.trim_end_matches(',');
            let (kind, nullable) = match kind.strip_prefix("Nullable<") {
                Some(inner) => (inner.trim_end_matches('>'), true),
                None => (kind, false),
            };
            let name = sql_name.take().unwrap_or_else(|| name.to_owned());
            let column = Column {
                kind: kind.to_owned(),
                nullable,
            };
            tables.get_mut(t).unwrap().insert(name, column);
        } else if line == "}" {
            table = None;
        }
    }
    tables
}

/// A column as the database describes it.
#[derive(Debug, QueryableByName)]
struct DbColumn {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    data_type: String,
    #[diesel(sql_type = Text)]
    is_nullable: String,
}

const MYSQL_COLUMNS: &str = "SELECT TABLE_NAME AS table_name, COLUMN_NAME AS column_name, \
     DATA_TYPE AS data_type, IS_NULLABLE AS is_nullable \
     FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE()";

const SQLITE_COLUMNS: &str = "SELECT m.name AS table_name, p.name AS column_name, \
     p.type AS data_type, \
     CASE WHEN p.\"notnull\" = 0 AND p.pk = 0 THEN 'YES' ELSE 'NO' END AS is_nullable \
     FROM sqlite_master m JOIN pragma_table_info(m.name) p \
     WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'";

/// Whether the database type `db` is read by diesel as `kind`.
fn compatible(db: &str, kind: &str) -> bool {
    let db = db.to_ascii_lowercase();
    match kind {
        "Text" => matches!(db.as_str(), "text" | "mediumtext" | "varchar" | "char"),
        "Binary" => matches!(db.as_str(), "blob" | "mediumblob"),
        // MySQL's BOOLEAN is TINYINT(1).
        "Bool" => matches!(db.as_str(), "boolean" | "tinyint"),
        "SmallInt" => db == "smallint",
        "Integer" => matches!(db.as_str(), "int" | "integer"),
        // SQLite's INTEGER is 64 bits (and a rowid alias must be INTEGER).
        "BigInt" => matches!(db.as_str(), "bigint" | "integer"),
        "Timestamp" => db == "timestamp",
        _ => false,
    }
}

/// The migrated database's tables, less diesel's own bookkeeping.
async fn migrated_tables(db: &Db) -> Result<Vec<DbColumn>, DbError> {
    prepare_db(db).await?;
    let columns: Vec<DbColumn> = with_conn!(db, conn => {
        let query = if db.is_mysql() { MYSQL_COLUMNS } else { SQLITE_COLUMNS };
        diesel::sql_query(query).load(conn).await?
    });
    Ok(columns
        .into_iter()
        .filter(|c| c.table_name != "__diesel_schema_migrations")
        .collect())
}

/// Panics, listing every difference, unless `db` matches `schema.rs`.
async fn assert_schema_matches(db: &Db) {
    let expected = schema_rs_tables();
    assert!(expected.len() >= 9, "schema.rs parsed: {expected:?}");
    let columns = migrated_tables(db).await.unwrap();
    let mut problems = Vec::new();
    let mut seen = Tables::new();
    for c in &columns {
        let nullable = c.is_nullable == "YES";
        seen.entry(c.table_name.clone()).or_default().insert(
            c.column_name.clone(),
            Column {
                kind: c.data_type.clone(),
                nullable,
            },
        );
        match expected
            .get(&c.table_name)
            .and_then(|t| t.get(&c.column_name))
        {
            None => problems.push(format!(
                "{}.{} is not in schema.rs",
                c.table_name, c.column_name
            )),
            Some(e) if !compatible(&c.data_type, &e.kind) || e.nullable != nullable => problems
                .push(format!(
                    "{}.{}: database {} nullable={nullable}, schema.rs {} nullable={}",
                    c.table_name, c.column_name, c.data_type, e.kind, e.nullable
                )),
            Some(_) => {}
        }
    }
    for (table, cols) in &expected {
        for name in cols.keys() {
            if !seen.get(table).is_some_and(|t| t.contains_key(name)) {
                problems.push(format!(
                    "{table}.{name} of schema.rs is not in the database"
                ));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "schema.rs is out of date:\n{}",
        problems.join("\n")
    );
}

#[test]
fn schema_rs_parses_into_its_tables_with_sql_names() {
    let tables = schema_rs_tables();
    let enrollments = &tables["nano_enrollments"];
    assert_eq!(
        enrollments["type"],
        Column {
            kind: "Text".to_owned(),
            nullable: false
        }
    );
    assert!(enrollments["user_id"].nullable);
    assert!(!enrollments.contains_key("type_"));
}

#[tokio::test]
async fn schema_rs_matches_the_sqlite_migrations() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&DbConfig::sqlite(dir.path().join("schema.sqlite3"))).unwrap();
    assert_schema_matches(&db).await;
}

#[tokio::test]
async fn schema_rs_matches_the_mysql_migrations() {
    let Some(test_db) =
        testkit::mysql::fresh_database("schema_rs_matches_the_mysql_migrations").await
    else {
        return;
    };
    let db = Db::open(&DbConfig::mysql(test_db.url())).unwrap();
    assert_schema_matches(&db).await;
}

/// `PRAGMA foreign_keys` and `PRAGMA journal_mode` as a connection reports
/// them.
#[derive(Debug, QueryableByName)]
struct Pragmas {
    #[diesel(sql_type = Integer)]
    foreign_keys: i32,
    #[diesel(sql_type = Text)]
    journal_mode: String,
    #[diesel(sql_type = Integer)]
    timeout: i32,
}

#[tokio::test]
async fn pooled_sqlite_connections_enforce_foreign_keys_use_wal_and_wait_when_busy() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&DbConfig::sqlite(dir.path().join("pragmas.sqlite3"))).unwrap();
    let pragmas = async {
        Ok::<Pragmas, DbError>(with_conn!(db, conn => {
        diesel::sql_query(
            "SELECT f.foreign_keys, j.journal_mode, t.timeout \
             FROM pragma_foreign_keys f, pragma_journal_mode j, pragma_busy_timeout t",
        )
        .get_result(conn)
        .await?
        }))
    };
    let pragmas = pragmas.await.unwrap();
    assert_eq!(pragmas.foreign_keys, 1);
    assert_eq!(pragmas.journal_mode, "wal");
    assert_eq!(pragmas.timeout, 5000);
}

/// The session time zone as a MySQL connection reports it.
#[derive(Debug, QueryableByName)]
struct TimeZone {
    #[diesel(sql_type = Text)]
    tz: String,
}

#[tokio::test]
async fn pooled_mysql_connections_run_in_utc() {
    let Some(test_db) = testkit::mysql::fresh_database("pooled_mysql_connections_run_in_utc").await
    else {
        return;
    };
    let db = Db::open(&DbConfig::mysql(test_db.url())).unwrap();
    let zone = async {
        Ok::<TimeZone, DbError>(with_conn!(db, conn => {
            diesel::sql_query("SELECT @@session.time_zone AS tz")
                .get_result(conn)
                .await?
        }))
    };
    assert_eq!(zone.await.unwrap().tz, "+00:00");
}
