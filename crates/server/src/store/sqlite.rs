//! The SQLite store: WAL mode, one writer thread with group commit, and a
//! pool of read-only connections.
//!
//! Writes are closures sent to the writer thread. The writer takes every
//! job that is waiting (up to [`MAX_BATCH`]), runs each inside its own
//! savepoint within one transaction, commits once (`synchronous=FULL`, so
//! the commit is on disk), and only then answers the callers. Many
//! concurrent sends therefore share one fsync, and no caller hears "ok"
//! before its data is durable.
//!
//! Row ids of message tables are `AUTOINCREMENT` and only the single writer
//! inserts, so ids grow in commit order: a reader that saw id N will never
//! later find a new row below N. The sync cursor relies on this.

use std::path::Path;
use std::sync::Arc;
use std::thread;

use async_trait::async_trait;
use natter_proto::MsgItem;
use r2d2::Pool;
use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::{self, params, Connection, OpenFlags, OptionalExtension};
use tokio::sync::{mpsc, oneshot};

use super::*;

/// Most jobs committed in one transaction.
const MAX_BATCH: usize = 512;
/// First TinyId; account N gets `TINY_ID_BASE + N`.
const TINY_ID_BASE: u64 = 144_115_200_000_000_000;

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS users (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id TEXT NOT NULL UNIQUE,
    nick TEXT NOT NULL DEFAULT '',
    face_url TEXT NOT NULL DEFAULT '',
    password_hash TEXT,
    created_at INTEGER NOT NULL,
    -- C2C messages with an id at or below this belong to an earlier
    -- account of the same ID (deleted) and are not this one's.
    c2c_floor INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS uploads (
    key TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    kind INTEGER NOT NULL,
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    length INTEGER,
    offset INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    info TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS uploads_expiry ON uploads(expires_at) WHERE state != 'complete';
CREATE TABLE IF NOT EXISTS revocations (
    user_id TEXT PRIMARY KEY,
    revoked_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS c2c_msgs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    from_account TEXT NOT NULL,
    to_account TEXT NOT NULL,
    pair TEXT NOT NULL,
    msg_seq INTEGER NOT NULL,
    msg_random INTEGER NOT NULL,
    time INTEGER NOT NULL,
    no_unread INTEGER NOT NULL,
    item TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS c2c_msgs_idem ON c2c_msgs(from_account, to_account, msg_random, msg_seq);
CREATE INDEX IF NOT EXISTS c2c_msgs_pair ON c2c_msgs(pair, id);
CREATE INDEX IF NOT EXISTS c2c_msgs_to ON c2c_msgs(to_account, id);
CREATE INDEX IF NOT EXISTS c2c_msgs_from ON c2c_msgs(from_account, id);
CREATE TABLE IF NOT EXISTS c2c_convs (
    owner TEXT NOT NULL,
    peer TEXT NOT NULL,
    last_id INTEGER,
    unread INTEGER NOT NULL DEFAULT 0,
    read_time INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (owner, peer)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS groups (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    group_id TEXT NOT NULL UNIQUE,
    group_type TEXT NOT NULL,
    name TEXT NOT NULL,
    owner TEXT NOT NULL,
    introduction TEXT NOT NULL DEFAULT '',
    notification TEXT NOT NULL DEFAULT '',
    face_url TEXT NOT NULL DEFAULT '',
    max_members INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    last_seq INTEGER NOT NULL DEFAULT 0,
    last_msg_time INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS group_members (
    group_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    role TEXT NOT NULL,
    join_time INTEGER NOT NULL,
    read_seq INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (group_id, user_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS group_members_user ON group_members(user_id);
CREATE TABLE IF NOT EXISTS group_msgs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    group_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    from_account TEXT NOT NULL,
    msg_random INTEGER NOT NULL,
    client_seq INTEGER NOT NULL,
    no_unread INTEGER NOT NULL,
    no_last INTEGER NOT NULL,
    item TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS group_msgs_seq ON group_msgs(group_id, seq);
CREATE UNIQUE INDEX IF NOT EXISTS group_msgs_idem ON group_msgs(group_id, from_account, msg_random, client_seq);
CREATE INDEX IF NOT EXISTS group_msgs_group_id ON group_msgs(group_id, id);
"#;

type Completion = Box<dyn FnOnce(StoreResult<()>) + Send>;
type Job = Box<dyn FnOnce(&Connection) -> Completion + Send>;

/// SQLite implementation of [`Store`].
#[derive(Clone)]
pub struct SqliteStore {
    jobs: mpsc::Sender<Job>,
    readers: Pool<SqliteConnectionManager>,
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn pair_key(a: &str, b: &str) -> String {
    if a <= b {
        format!("{a}\n{b}")
    } else {
        format!("{b}\n{a}")
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and starts the writer thread.
    pub fn open(path: &Path) -> StoreResult<SqliteStore> {
        make_private(path)?;
        let writer = Connection::open(path)?;
        writer.execute_batch(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=5000;",
        )?;
        writer.execute_batch(SCHEMA)?;
        migrate(&writer)?;

        let manager = SqliteConnectionManager::file(path)
            .with_flags(
                OpenFlags::SQLITE_OPEN_READ_ONLY
                    | OpenFlags::SQLITE_OPEN_NO_MUTEX
                    | OpenFlags::SQLITE_OPEN_URI,
            )
            .with_init(|c| c.execute_batch("PRAGMA query_only=1; PRAGMA busy_timeout=5000;"));
        let readers = Pool::builder().max_size(8).build(manager)?;

        let (jobs, rx) = mpsc::channel::<Job>(4096);
        thread::Builder::new()
            .name("natter-sqlite-writer".into())
            .spawn(move || writer_loop(writer, rx))
            .map_err(|e| ServerError::Db(format!("cannot start writer thread: {e}")))?;
        Ok(SqliteStore { jobs, readers })
    }

    /// Runs `f` on the writer inside the next group commit; resolves after the commit.
    async fn write<R, F>(&self, f: F) -> StoreResult<R>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<R> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move |conn| {
            let result = in_savepoint(conn, f);
            Box::new(move |commit: StoreResult<()>| {
                let _ = tx.send(commit.and(result));
            })
        });
        self.jobs
            .send(job)
            .await
            .map_err(|_| ServerError::WriterGone)?;
        rx.await.map_err(|_| ServerError::WriterGone)?
    }

    /// Runs `f` on a pooled read-only connection off the async runtime.
    async fn read<R, F>(&self, f: F) -> StoreResult<R>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<R> + Send + 'static,
    {
        let pool = self.readers.clone();
        tokio::task::spawn_blocking(move || {
            let conn = pool.get()?;
            f(&conn)
        })
        .await
        .map_err(|e| ServerError::Db(format!("reader task failed: {e}")))?
    }
}

/// Creates the database file readable by this user only, or tightens an
/// existing one (and its WAL and shared-memory files) to 0600. SQLite gives
/// the `-wal` and `-shm` files it creates the mode of the database file.
fn make_private(path: &Path) -> StoreResult<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        let failed = |e: std::io::Error| ServerError::Db(format!("{}: {e}", path.display()));
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(path)
            .map_err(failed)?;
        for suffix in ["", "-wal", "-shm"] {
            let mut name = path.as_os_str().to_owned();
            name.push(suffix);
            match std::fs::set_permissions(&name, std::fs::Permissions::from_mode(0o600)) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(failed(e)),
                _ => {}
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

fn in_savepoint<R>(
    conn: &Connection,
    f: impl FnOnce(&Connection) -> StoreResult<R>,
) -> StoreResult<R> {
    conn.execute_batch("SAVEPOINT job")?;
    match f(conn) {
        Ok(r) => {
            conn.execute_batch("RELEASE job")?;
            Ok(r)
        }
        Err(e) => {
            // Undo only this job; the others in the batch still commit.
            conn.execute_batch("ROLLBACK TO job; RELEASE job")?;
            Err(e)
        }
    }
}

fn writer_loop(conn: Connection, mut rx: mpsc::Receiver<Job>) {
    let mut batch: Vec<Job> = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = rx.blocking_recv() {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
            // Dropping the jobs drops their reply channels: each caller gets
            // an error and nothing was written.
            tracing::error!(error = %e, "cannot begin a write transaction; failing {} jobs", batch.len());
            batch.clear();
            continue;
        }
        let completions: Vec<Completion> = batch.drain(..).map(|job| job(&conn)).collect();
        let commit = conn.execute_batch("COMMIT").map_err(ServerError::from);
        if let Err(e) = &commit {
            tracing::error!(error = %e, "group commit failed");
            let _ = conn.execute_batch("ROLLBACK");
        }
        for done in completions {
            done(match &commit {
                Ok(()) => Ok(()),
                Err(e) => Err(ServerError::Db(e.to_string())),
            });
        }
    }
    tracing::debug!("sqlite writer stopped");
}

/// Brings a database made by an older version up to [`SCHEMA`].
fn migrate(conn: &Connection) -> StoreResult<()> {
    let has_floor: bool = conn.query_row(
        "SELECT COUNT(*) > 0 FROM pragma_table_info('users') WHERE name = 'c2c_floor'",
        [],
        |r| r.get(0),
    )?;
    if !has_floor {
        conn.execute_batch("ALTER TABLE users ADD COLUMN c2c_floor INTEGER NOT NULL DEFAULT 0")?;
    }
    Ok(())
}

/// Inserts an account row if the ID is free; true if it was.
///
/// The new account's C2C floor hides the messages of any earlier account
/// with this ID (the indexes on sender and receiver make it two lookups).
fn insert_user(conn: &Connection, user: &str, nick: &str, face_url: &str) -> StoreResult<bool> {
    let inserted = conn
        .prepare_cached(
            "INSERT INTO users (user_id, nick, face_url, created_at, c2c_floor)
             VALUES (?1, ?2, ?3, ?4, MAX(
                 COALESCE((SELECT MAX(id) FROM c2c_msgs WHERE from_account = ?1), 0),
                 COALESCE((SELECT MAX(id) FROM c2c_msgs WHERE to_account = ?1), 0)))
             ON CONFLICT(user_id) DO NOTHING",
        )?
        .execute(params![user, nick, face_url, now()])?;
    Ok(inserted == 1)
}

/// The C2C floor of `user` (0 if the account does not exist).
fn c2c_floor(conn: &Connection, user: &str) -> StoreResult<i64> {
    Ok(conn
        .prepare_cached("SELECT c2c_floor FROM users WHERE user_id = ?1")?
        .query_row([user], |r| r.get(0))
        .optional()?
        .unwrap_or(0))
}

fn revoke_in(conn: &Connection, user: &str, revoked_at: u64) -> StoreResult<()> {
    conn.execute(
        "INSERT INTO revocations (user_id, revoked_at) VALUES (?1, ?2)
         ON CONFLICT(user_id) DO UPDATE SET revoked_at = MAX(revoked_at, excluded.revoked_at)",
        params![user, revoked_at],
    )?;
    Ok(())
}

fn read_upload(r: &rusqlite::Row<'_>) -> rusqlite::Result<(UploadRecord, String)> {
    Ok((
        UploadRecord {
            key: r.get(0)?,
            owner: r.get(1)?,
            kind: r.get(2)?,
            file_name: r.get(3)?,
            content_type: r.get(4)?,
            length: r.get(5)?,
            offset: r.get(6)?,
            state: UploadState::Pending,
            created_at: r.get(8)?,
            expires_at: r.get(9)?,
            info: r.get(10)?,
        },
        r.get(7)?,
    ))
}

fn parse_item(text: String) -> StoreResult<MsgItem> {
    Ok(serde_json::from_str(&text)?)
}

fn user_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<UserRecord> {
    let seq: i64 = row.get(0)?;
    Ok(UserRecord {
        tiny_id: TINY_ID_BASE + seq as u64,
        user_id: row.get(1)?,
        nick: row.get(2)?,
        face_url: row.get(3)?,
    })
}

const USER_COLS: &str = "seq, user_id, nick, face_url";
const GROUP_COLS: &str =
    "g.group_id, g.group_type, g.name, g.owner, g.introduction, g.notification, g.face_url, \
     g.max_members, g.created_at, g.last_seq, g.last_msg_time, \
     (SELECT COUNT(*) FROM group_members c WHERE c.group_id = g.group_id)";

fn group_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<GroupRecord> {
    Ok(GroupRecord {
        group_id: row.get(0)?,
        group_type: row.get(1)?,
        name: row.get(2)?,
        owner: row.get(3)?,
        introduction: row.get(4)?,
        notification: row.get(5)?,
        face_url: row.get(6)?,
        max_members: row.get(7)?,
        created_at: row.get(8)?,
        last_seq: row.get(9)?,
        last_msg_time: row.get(10)?,
        member_count: row.get(11)?,
    })
}

fn member_from_row(row: &rusqlite::Row<'_>, offset: usize) -> rusqlite::Result<MemberRecord> {
    Ok(MemberRecord {
        user_id: row.get(offset)?,
        role: row.get(offset + 1)?,
        join_time: row.get(offset + 2)?,
        read_seq: row.get(offset + 3)?,
    })
}

fn ensure_user_in(conn: &Connection, user: &str) -> StoreResult<UserRecord> {
    insert_user(conn, user, "", "")?;
    Ok(conn.query_row(
        &format!("SELECT {USER_COLS} FROM users WHERE user_id = ?1"),
        [user],
        user_from_row,
    )?)
}

fn last_group_item(conn: &Connection, group_id: &str) -> StoreResult<Option<MsgItem>> {
    let text: Option<String> = conn
        .query_row(
            "SELECT item FROM group_msgs WHERE group_id = ?1 AND no_last = 0 ORDER BY seq DESC LIMIT 1",
            [group_id],
            |r| r.get(0),
        )
        .optional()?;
    text.map(parse_item).transpose()
}

fn group_unread(conn: &Connection, group_id: &str, user: &str, read_seq: u64) -> StoreResult<u64> {
    Ok(conn.query_row(
        "SELECT COUNT(*) FROM group_msgs WHERE group_id = ?1 AND seq > ?2 AND from_account <> ?3 AND no_unread = 0",
        params![group_id, read_seq, user],
        |r| r.get(0),
    )?)
}

#[async_trait]
impl Store for SqliteStore {
    async fn ensure_user(&self, user: &str) -> StoreResult<UserRecord> {
        let u = user.to_owned();
        // Fast path: most logins are of existing accounts and need no write.
        if let Some(found) = self.get_users(std::slice::from_ref(&u)).await?.pop() {
            return Ok(found);
        }
        self.write(move |c| ensure_user_in(c, &u)).await
    }

    async fn import_account(
        &self,
        user: &str,
        nick: &str,
        face_url: &str,
    ) -> StoreResult<UserRecord> {
        let (u, n, f) = (user.to_owned(), nick.to_owned(), face_url.to_owned());
        self.write(move |c| {
            if !insert_user(c, &u, &n, &f)? {
                c.execute(
                    "UPDATE users SET nick = ?2, face_url = ?3 WHERE user_id = ?1",
                    params![u, n, f],
                )?;
            }
            ensure_user_in(c, &u)
        })
        .await
    }

    async fn get_users(&self, users: &[String]) -> StoreResult<Vec<UserRecord>> {
        let users = users.to_vec();
        self.read(move |c| {
            let mut stmt =
                c.prepare_cached(&format!("SELECT {USER_COLS} FROM users WHERE user_id = ?1"))?;
            let mut out = Vec::with_capacity(users.len());
            for u in &users {
                if let Some(rec) = stmt.query_row([u], user_from_row).optional()? {
                    out.push(rec);
                }
            }
            Ok(out)
        })
        .await
    }

    async fn delete_accounts(&self, users: &[String], revoked_at: u64) -> StoreResult<()> {
        let users = users.to_vec();
        self.write(move |c| {
            for u in &users {
                c.execute("DELETE FROM users WHERE user_id = ?1", [u])?;
                c.execute("DELETE FROM group_members WHERE user_id = ?1", [u])?;
                c.execute("DELETE FROM c2c_convs WHERE owner = ?1", [u])?;
                revoke_in(c, u, revoked_at)?;
            }
            Ok(())
        })
        .await
    }

    async fn create_password_account(
        &self,
        user: &str,
        hash: &str,
        nick: &str,
    ) -> StoreResult<bool> {
        let (u, h, n) = (user.to_owned(), hash.to_owned(), nick.to_owned());
        self.write(move |c| {
            if !insert_user(c, &u, &n, "")? {
                return Ok(false);
            }
            c.execute(
                "UPDATE users SET password_hash = ?2 WHERE user_id = ?1",
                params![u, h],
            )?;
            Ok(true)
        })
        .await
    }

    async fn revoke_credentials(&self, user: &str, revoked_at: u64) -> StoreResult<()> {
        let u = user.to_owned();
        self.write(move |c| revoke_in(c, &u, revoked_at)).await
    }

    async fn revoked_at(&self, user: &str) -> StoreResult<u64> {
        let u = user.to_owned();
        self.read(move |c| {
            Ok(
                c.prepare_cached("SELECT revoked_at FROM revocations WHERE user_id = ?1")?
                    .query_row([u], |r| r.get(0))
                    .optional()?
                    .unwrap_or(0),
            )
        })
        .await
    }

    async fn password_hash(&self, user: &str) -> StoreResult<Option<String>> {
        let u = user.to_owned();
        self.read(move |c| {
            Ok(c.query_row(
                "SELECT password_hash FROM users WHERE user_id = ?1",
                [u],
                |r| r.get::<_, Option<String>>(0),
            )
            .optional()?
            .flatten())
        })
        .await
    }

    async fn store_c2c(&self, mut item: MsgItem, dedupe: C2cDedupe) -> StoreResult<Sent> {
        self.write(move |c| {
            let from = item.from_account.clone();
            let to = item.to_account.clone().unwrap_or_default();
            // Both lookups use the unique index (from, to, random, seq).
            let existing: Option<String> = match dedupe {
                C2cDedupe::Exact => c
                    .prepare_cached(
                        "SELECT item FROM c2c_msgs WHERE from_account = ?1 AND to_account = ?2 AND msg_random = ?3 AND msg_seq = ?4",
                    )?
                    .query_row(params![from, to, item.msg_random, item.msg_seq], |r| r.get(0))
                    .optional()?,
                C2cDedupe::RandomSince(since) => c
                    .prepare_cached(
                        "SELECT item FROM c2c_msgs WHERE from_account = ?1 AND to_account = ?2 AND msg_random = ?3 AND time >= ?4
                         ORDER BY id LIMIT 1",
                    )?
                    .query_row(params![from, to, item.msg_random, since], |r| r.get(0))
                    .optional()?,
            };
            if let Some(text) = existing {
                return Ok(Sent { item: parse_item(text)?, duplicate: true });
            }
            item.msg_key = item.c2c_msg_key();
            let no_unread = item.has_control("NoUnread");
            let no_last = item.has_control("NoLastMsg");
            c.prepare_cached(
                "INSERT INTO c2c_msgs (from_account, to_account, pair, msg_seq, msg_random, time, no_unread, item)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![
                from,
                to,
                pair_key(&from, &to),
                item.msg_seq,
                item.msg_random,
                item.msg_time_stamp,
                no_unread,
                serde_json::to_string(&item)?
            ])?;
            let id = c.last_insert_rowid();
            let mut upsert = c.prepare_cached(
                "INSERT INTO c2c_convs (owner, peer, last_id, unread) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(owner, peer) DO UPDATE SET
                    last_id = COALESCE(excluded.last_id, c2c_convs.last_id),
                    unread = CASE WHEN ?5 THEN 0 ELSE c2c_convs.unread + excluded.unread END",
            )?;
            let last = if no_last { None } else { Some(id) };
            // Receiver first, then sender: a message to oneself ends up read.
            upsert.execute(params![to, from, last, if no_unread { 0 } else { 1 }, false])?;
            upsert.execute(params![from, to, last, 0, true])?;
            Ok(Sent { item, duplicate: false })
        })
        .await
    }

    async fn c2c_history(
        &self,
        owner: &str,
        peer: &str,
        before: Option<&str>,
        limit: usize,
    ) -> StoreResult<C2cPage> {
        let (owner, peer) = (owner.to_owned(), peer.to_owned());
        let before = before.map(str::to_owned);
        self.read(move |c| {
            let pair = pair_key(&owner, &peer);
            let mut before_id = i64::MAX;
            if let Some(key) = before.filter(|k| !k.is_empty()) {
                if let Some((seq, random, time)) = MsgItem::parse_c2c_msg_key(&key) {
                    let found: Option<i64> = c
                        .query_row(
                            "SELECT id FROM c2c_msgs WHERE ((from_account = ?1 AND to_account = ?2) OR (from_account = ?2 AND to_account = ?1))
                               AND msg_random = ?3 AND msg_seq = ?4 AND time = ?5",
                            params![owner, peer, random, seq, time],
                            |r| r.get(0),
                        )
                        .optional()?;
                    before_id = found.unwrap_or(0);
                } else {
                    before_id = 0;
                }
            }
            let mut stmt = c.prepare_cached(
                "SELECT item FROM c2c_msgs WHERE pair = ?1 AND id < ?2 AND id > ?3 ORDER BY id DESC LIMIT ?4",
            )?;
            let floor = c2c_floor(c, &owner)?;
            let texts: Vec<String> = stmt
                .query_map(params![pair, before_id, floor, (limit + 1) as i64], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            let complete = texts.len() <= limit;
            let mut items = texts.into_iter().take(limit).map(parse_item).collect::<StoreResult<Vec<_>>>()?;
            items.reverse();
            Ok(C2cPage { items, complete })
        })
        .await
    }

    async fn c2c_conversations(&self, user: &str) -> StoreResult<Vec<C2cConversation>> {
        let user = user.to_owned();
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT cv.peer, cv.unread, m.item,
                        COALESCE((SELECT p.read_time FROM c2c_convs p WHERE p.owner = cv.peer AND p.peer = cv.owner), 0)
                 FROM c2c_convs cv LEFT JOIN c2c_msgs m ON m.id = cv.last_id
                 WHERE cv.owner = ?1",
            )?;
            let rows = stmt.query_map([&user], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, u64>(1)?, r.get::<_, Option<String>>(2)?, r.get::<_, u64>(3)?))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (peer, unread, item, peer_read_time) = row?;
                out.push(C2cConversation { peer, unread, last: item.map(parse_item).transpose()?, peer_read_time });
            }
            Ok(out)
        })
        .await
    }

    async fn set_c2c_read(&self, user: &str, peer: &str, time: u64) -> StoreResult<()> {
        let (user, peer) = (user.to_owned(), peer.to_owned());
        self.write(move |c| {
            c.execute(
                "INSERT INTO c2c_convs (owner, peer, last_id, unread, read_time) VALUES (?1, ?2, NULL, 0, ?3)
                 ON CONFLICT(owner, peer) DO UPDATE SET read_time = MAX(c2c_convs.read_time, excluded.read_time)",
                params![user, peer, time],
            )?;
            c.execute(
                "UPDATE c2c_convs SET unread = (
                    SELECT COUNT(*) FROM c2c_msgs m WHERE m.from_account = ?2 AND m.to_account = ?1
                      AND m.time > c2c_convs.read_time AND m.no_unread = 0)
                 WHERE owner = ?1 AND peer = ?2",
                params![user, peer],
            )?;
            Ok(())
        })
        .await
    }

    async fn create_group(
        &self,
        group: GroupRecord,
        members: Vec<MemberRecord>,
    ) -> StoreResult<()> {
        self.write(move |c| {
            let exists: bool =
                c.query_row("SELECT EXISTS(SELECT 1 FROM groups WHERE group_id = ?1)", [&group.group_id], |r| r.get(0))?;
            if exists {
                return Err(ServerError::GroupIdInUse(group.group_id));
            }
            c.execute(
                "INSERT INTO groups (group_id, group_type, name, owner, introduction, notification, face_url, max_members, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    group.group_id,
                    group.group_type,
                    group.name,
                    group.owner,
                    group.introduction,
                    group.notification,
                    group.face_url,
                    group.max_members,
                    group.created_at
                ],
            )?;
            for m in &members {
                ensure_user_in(c, &m.user_id)?;
                c.execute(
                    "INSERT OR IGNORE INTO group_members (group_id, user_id, role, join_time, read_seq) VALUES (?1, ?2, ?3, ?4, 0)",
                    params![group.group_id, m.user_id, m.role, m.join_time],
                )?;
            }
            Ok(())
        })
        .await
    }

    async fn group(&self, group_id: &str) -> StoreResult<Option<GroupRecord>> {
        let g = group_id.to_owned();
        self.read(move |c| {
            Ok(c.query_row(
                &format!("SELECT {GROUP_COLS} FROM groups g WHERE g.group_id = ?1"),
                [g],
                group_from_row,
            )
            .optional()?)
        })
        .await
    }

    async fn members(&self, group_id: &str) -> StoreResult<Vec<MemberRecord>> {
        let g = group_id.to_owned();
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT user_id, role, join_time, read_seq FROM group_members WHERE group_id = ?1 ORDER BY join_time, user_id",
            )?;
            let rows = stmt.query_map([g], |r| member_from_row(r, 0))?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await
    }

    async fn add_members(
        &self,
        group_id: &str,
        members: Vec<MemberRecord>,
    ) -> StoreResult<Vec<String>> {
        let g = group_id.to_owned();
        self.write(move |c| {
            let last_seq: u64 = c
                .query_row("SELECT last_seq FROM groups WHERE group_id = ?1", [&g], |r| r.get(0))
                .optional()?
                .ok_or_else(|| ServerError::GroupNotFound(g.clone()))?;
            let mut already = Vec::new();
            for m in &members {
                ensure_user_in(c, &m.user_id)?;
                // New members start with everything before their arrival read.
                let added = c.execute(
                    "INSERT OR IGNORE INTO group_members (group_id, user_id, role, join_time, read_seq) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![g, m.user_id, m.role, m.join_time, last_seq],
                )?;
                if added == 0 {
                    already.push(m.user_id.clone());
                }
            }
            Ok(already)
        })
        .await
    }

    async fn remove_members(&self, group_id: &str, users: &[String]) -> StoreResult<()> {
        let (g, users) = (group_id.to_owned(), users.to_vec());
        self.write(move |c| {
            for u in &users {
                c.execute(
                    "DELETE FROM group_members WHERE group_id = ?1 AND user_id = ?2",
                    params![g, u],
                )?;
            }
            Ok(())
        })
        .await
    }

    async fn destroy_group(&self, group_id: &str) -> StoreResult<()> {
        let g = group_id.to_owned();
        self.write(move |c| {
            c.execute("DELETE FROM group_members WHERE group_id = ?1", [&g])?;
            c.execute("DELETE FROM group_msgs WHERE group_id = ?1", [&g])?;
            c.execute("DELETE FROM groups WHERE group_id = ?1", [&g])?;
            Ok(())
        })
        .await
    }

    async fn joined_groups(&self, user: &str) -> StoreResult<Vec<(GroupRecord, MemberRecord)>> {
        let u = user.to_owned();
        self.read(move |c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {GROUP_COLS}, m.user_id, m.role, m.join_time, m.read_seq
                 FROM group_members m JOIN groups g ON g.group_id = m.group_id
                 WHERE m.user_id = ?1 ORDER BY g.seq"
            ))?;
            let rows =
                stmt.query_map([u], |r| Ok((group_from_row(r)?, member_from_row(r, 12)?)))?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await
    }

    async fn list_groups(&self, after: u64, limit: usize) -> StoreResult<(Vec<String>, u64)> {
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT seq, group_id FROM groups WHERE seq > ?1 ORDER BY seq LIMIT ?2",
            )?;
            let rows: Vec<(u64, String)> = stmt
                .query_map(params![after, limit as i64], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?;
            let next = rows.last().map(|(s, _)| *s).unwrap_or(0);
            Ok((rows.into_iter().map(|(_, g)| g).collect(), next))
        })
        .await
    }

    async fn store_group(&self, mut item: MsgItem) -> StoreResult<Sent> {
        self.write(move |c| {
            let group_id = item.to_group_id.clone().unwrap_or_default();
            let existing: Option<String> = c
                .prepare_cached(
                    "SELECT item FROM group_msgs WHERE group_id = ?1 AND from_account = ?2 AND msg_random = ?3 AND client_seq = ?4",
                )?
                .query_row(params![group_id, item.from_account, item.msg_random, item.client_seq], |r| r.get(0))
                .optional()?;
            if let Some(text) = existing {
                return Ok(Sent { item: parse_item(text)?, duplicate: true });
            }
            let seq: u64 = c
                .prepare_cached(
                    "UPDATE groups SET last_seq = last_seq + 1, last_msg_time = ?2 WHERE group_id = ?1 RETURNING last_seq",
                )?
                .query_row(params![group_id, item.msg_time_stamp], |r| r.get(0))
                .optional()?
                .ok_or_else(|| ServerError::GroupNotFound(group_id.clone()))?;
            item.msg_seq = seq;
            c.prepare_cached(
                "INSERT INTO group_msgs (group_id, seq, from_account, msg_random, client_seq, no_unread, no_last, item)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![
                group_id,
                seq,
                item.from_account,
                item.msg_random,
                item.client_seq,
                item.has_control("NoUnread"),
                item.has_control("NoLastMsg"),
                serde_json::to_string(&item)?
            ])?;
            // Sending reads the conversation up to one's own message.
            c.prepare_cached("UPDATE group_members SET read_seq = ?3 WHERE group_id = ?1 AND user_id = ?2")?
                .execute(params![group_id, item.from_account, seq])?;
            Ok(Sent { item, duplicate: false })
        })
        .await
    }

    async fn group_history(
        &self,
        group_id: &str,
        max_seq: Option<u64>,
        limit: usize,
    ) -> StoreResult<Vec<MsgItem>> {
        let g = group_id.to_owned();
        self.read(move |c| {
            let mut stmt =
                c.prepare_cached("SELECT item FROM group_msgs WHERE group_id = ?1 AND seq <= ?2 ORDER BY seq DESC LIMIT ?3")?;
            let max = max_seq.map(|s| s.min(i64::MAX as u64) as i64).unwrap_or(i64::MAX);
            let texts: Vec<String> =
                stmt.query_map(params![g, max, limit as i64], |r| r.get(0))?.collect::<Result<_, _>>()?;
            texts.into_iter().map(parse_item).collect()
        })
        .await
    }

    async fn group_conversations(&self, user: &str) -> StoreResult<Vec<GroupConversation>> {
        let joined = self.joined_groups(user).await?;
        let u = user.to_owned();
        self.read(move |c| {
            let mut out = Vec::with_capacity(joined.len());
            for (group, member) in joined {
                let last = last_group_item(c, &group.group_id)?;
                let unread = group_unread(c, &group.group_id, &u, member.read_seq)?;
                out.push(GroupConversation {
                    group,
                    last,
                    unread,
                    read_seq: member.read_seq,
                });
            }
            Ok(out)
        })
        .await
    }

    async fn set_group_read(&self, user: &str, group_id: &str, seq: u64) -> StoreResult<()> {
        let (u, g) = (user.to_owned(), group_id.to_owned());
        self.write(move |c| {
            c.execute(
                "UPDATE group_members SET read_seq = MAX(read_seq, MIN(?3, (SELECT last_seq FROM groups WHERE group_id = ?1)))
                 WHERE group_id = ?1 AND user_id = ?2",
                params![g, u, seq],
            )?;
            Ok(())
        })
        .await
    }

    async fn sync(&self, user: &str, cursor: SyncCursor, limit: usize) -> StoreResult<SyncBatch> {
        let u = user.to_owned();
        self.read(move |c| {
            let after = cursor.c2c.max(c2c_floor(c, &u)?);
            let mut c2c = c.prepare_cached(
                "SELECT id, item FROM c2c_msgs WHERE id > ?1 AND to_account = ?2
                 UNION SELECT id, item FROM c2c_msgs WHERE id > ?1 AND from_account = ?2
                 ORDER BY id LIMIT ?3",
            )?;
            let c2c_rows: Vec<(i64, String)> =
                c2c.query_map(params![after, u, limit as i64], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?;
            let mut group = c.prepare_cached(
                "SELECT g.id, g.item FROM group_members m JOIN group_msgs g ON g.group_id = m.group_id
                 WHERE m.user_id = ?2 AND g.id > ?1 ORDER BY g.id LIMIT ?3",
            )?;
            let group_rows: Vec<(i64, String)> = group
                .query_map(params![cursor.group, u, limit as i64], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?;
            let complete = c2c_rows.len() < limit && group_rows.len() < limit;
            let mut next = cursor;
            if let Some((id, _)) = c2c_rows.last() {
                next.c2c = *id;
            }
            if let Some((id, _)) = group_rows.last() {
                next.group = *id;
            }
            let mut items = Vec::with_capacity(c2c_rows.len() + group_rows.len());
            for (_, text) in c2c_rows.into_iter().chain(group_rows) {
                items.push(parse_item(text)?);
            }
            items.sort_by_key(|i| i.msg_time_stamp);
            Ok(SyncBatch { items, cursor: next, complete })
        })
        .await
    }

    async fn sync_head(&self) -> StoreResult<SyncCursor> {
        self.read(|c| {
            Ok(SyncCursor {
                c2c: c.query_row("SELECT COALESCE(MAX(id), 0) FROM c2c_msgs", [], |r| {
                    r.get(0)
                })?,
                group: c.query_row("SELECT COALESCE(MAX(id), 0) FROM group_msgs", [], |r| {
                    r.get(0)
                })?,
            })
        })
        .await
    }

    async fn create_upload(&self, upload: UploadRecord) -> StoreResult<bool> {
        self.write(move |c| {
            let inserted = c
                .prepare_cached(
                    "INSERT INTO uploads (key, owner, kind, file_name, content_type, length,
                         offset, state, created_at, expires_at, info)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
                     ON CONFLICT(key) DO NOTHING",
                )?
                .execute(params![
                    upload.key,
                    upload.owner,
                    upload.kind,
                    upload.file_name,
                    upload.content_type,
                    upload.length,
                    upload.offset,
                    upload.state.as_str(),
                    upload.created_at,
                    upload.expires_at,
                    upload.info
                ])?;
            Ok(inserted == 1)
        })
        .await
    }

    async fn upload(&self, key: &str) -> StoreResult<Option<UploadRecord>> {
        let key = key.to_owned();
        self.read(move |c| {
            let row = c
                .prepare_cached(
                    "SELECT key, owner, kind, file_name, content_type, length, offset, state,
                            created_at, expires_at, info FROM uploads WHERE key = ?1",
                )?
                .query_row([key], read_upload)
                .optional()?;
            row.map(|(mut upload, state)| {
                upload.state = UploadState::parse(&state)
                    .ok_or_else(|| ServerError::Corrupt(format!("upload state {state:?}")))?;
                Ok(upload)
            })
            .transpose()
        })
        .await
    }

    async fn claim_upload(&self, key: &str, owner: &str, length: u64) -> StoreResult<bool> {
        let (key, owner) = (key.to_owned(), owner.to_owned());
        self.write(move |c| {
            let claimed = c
                .prepare_cached(
                    "UPDATE uploads SET state = 'receiving', length = ?3
                     WHERE key = ?1 AND owner = ?2 AND state = 'pending'",
                )?
                .execute(params![key, owner, length])?;
            Ok(claimed == 1)
        })
        .await
    }

    async fn set_upload_offset(&self, key: &str, offset: u64, expires_at: u64) -> StoreResult<()> {
        let key = key.to_owned();
        self.write(move |c| {
            c.prepare_cached(
                "UPDATE uploads SET offset = ?2, expires_at = ?3 WHERE key = ?1 AND state = 'receiving'",
            )?
            .execute(params![key, offset, expires_at])?;
            Ok(())
        })
        .await
    }

    async fn complete_upload(&self, key: &str, length: u64) -> StoreResult<()> {
        let key = key.to_owned();
        self.write(move |c| {
            c.prepare_cached(
                "UPDATE uploads SET state = 'complete', offset = ?2, length = ?2 WHERE key = ?1",
            )?
            .execute(params![key, length])?;
            Ok(())
        })
        .await
    }

    async fn set_upload_info(&self, key: &str, info: &str) -> StoreResult<()> {
        let (key, info) = (key.to_owned(), info.to_owned());
        self.write(move |c| {
            c.prepare_cached("UPDATE uploads SET info = ?2 WHERE key = ?1")?
                .execute(params![key, info])?;
            Ok(())
        })
        .await
    }

    async fn delete_upload(&self, key: &str) -> StoreResult<()> {
        let key = key.to_owned();
        self.write(move |c| {
            c.prepare_cached("DELETE FROM uploads WHERE key = ?1")?
                .execute([key])?;
            Ok(())
        })
        .await
    }

    async fn expired_uploads(&self, now: u64, limit: usize) -> StoreResult<Vec<String>> {
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT key FROM uploads WHERE state != 'complete' AND expires_at < ?1 LIMIT ?2",
            )?;
            let keys = stmt
                .query_map(params![now, limit as u64], |r| r.get(0))?
                .collect::<rusqlite::Result<Vec<String>>>()?;
            Ok(keys)
        })
        .await
    }
}

/// Shared handle type used by the server.
pub type DynStore = Arc<dyn Store>;
