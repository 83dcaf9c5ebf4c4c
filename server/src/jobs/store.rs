//! The job store: jobs, job logs, user-defined process graphs and access tokens in one SQLite database
//! (WAL mode, so a crash never loses committed state). Calls are short and synchronous; the connection is behind
//! a mutex that is never held across an `.await`.

use std::path::Path;
use std::sync::Mutex;

use chrono::{SecondsFormat, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::Value;

/// A job's status (the six openEO statuses).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum JobStatus {
    Created,
    Queued,
    Running,
    Finished,
    Error,
    Canceled,
}

impl JobStatus {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            JobStatus::Created => "created",
            JobStatus::Queued => "queued",
            JobStatus::Running => "running",
            JobStatus::Finished => "finished",
            JobStatus::Error => "error",
            JobStatus::Canceled => "canceled",
        }
    }

    /// The status named `s`, if it is one of the six.
    pub(crate) fn try_parse(s: &str) -> Option<JobStatus> {
        let st = JobStatus::parse(s);
        (st.as_str() == s).then_some(st)
    }

    fn parse(s: &str) -> JobStatus {
        match s {
            "queued" => JobStatus::Queued,
            "running" => JobStatus::Running,
            "finished" => JobStatus::Finished,
            "error" => JobStatus::Error,
            "canceled" => JobStatus::Canceled,
            _ => JobStatus::Created,
        }
    }
}

/// A stored job.
#[derive(Clone, Debug)]
pub(crate) struct Job {
    pub(crate) id: String,
    pub(crate) user: String,
    pub(crate) title: Option<String>,
    pub(crate) description: Option<String>,
    pub(crate) process: Value,
    pub(crate) status: JobStatus,
    pub(crate) progress: f64,
    pub(crate) created: String,
    pub(crate) updated: String,
    /// Result assets (JSON array) once finished.
    pub(crate) results: Option<Value>,
    /// CPU seconds used by the computation.
    pub(crate) cpu_seconds: Option<f64>,
}

/// One entry of a job's log.
#[derive(Clone, Debug)]
pub(crate) struct LogEntry {
    pub(crate) seq: i64,
    pub(crate) level: String,
    pub(crate) message: String,
    pub(crate) time: String,
    /// The openEO error code of an error entry.
    pub(crate) code: Option<String>,
}

/// The database.
pub(crate) struct Store {
    conn: Mutex<Connection>,
}

pub(crate) fn now() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true)
}

type Sql<T> = rusqlite::Result<T>;

impl Store {
    pub(crate) fn open(path: &Path) -> Sql<Store> {
        let conn = Connection::open(path)?;
        conn.execute_batch(
            // creating the schema of a new database is not flushed (there is nothing to lose yet, and an interrupted
            // creation is simply done again); every later commit is
            "PRAGMA synchronous=OFF; PRAGMA journal_mode=WAL;
             BEGIN;
             CREATE TABLE IF NOT EXISTS jobs (id TEXT PRIMARY KEY, user TEXT NOT NULL, title TEXT, description TEXT,
               process TEXT NOT NULL, status TEXT NOT NULL, progress REAL NOT NULL DEFAULT 0, created TEXT NOT NULL,
               updated TEXT NOT NULL, results TEXT, cpu_seconds REAL);
             CREATE TABLE IF NOT EXISTS logs (job TEXT NOT NULL, seq INTEGER NOT NULL, level TEXT NOT NULL,
               message TEXT NOT NULL, time TEXT NOT NULL, code TEXT, PRIMARY KEY (job, seq));
             CREATE TABLE IF NOT EXISTS udps (user TEXT NOT NULL, id TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (user, id));
             CREATE TABLE IF NOT EXISTS tokens (token TEXT PRIMARY KEY, user TEXT NOT NULL, created TEXT NOT NULL);
             COMMIT;
             PRAGMA synchronous=FULL;",
        )?;
        // the openEO error code of error entries (databases of the first schema lack it)
        let has_code = conn
            .prepare("SELECT 1 FROM pragma_table_info('logs') WHERE name = 'code'")?
            .exists([])?;
        if !has_code {
            conn.execute_batch("ALTER TABLE logs ADD COLUMN code TEXT")?;
        }
        Ok(Store { conn: Mutex::new(conn) })
    }

    fn with<T>(&self, f: impl FnOnce(&Connection) -> Sql<T>) -> Sql<T> {
        let conn = self.conn.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&conn)
    }

    pub(crate) fn insert_job(&self, job: &Job) -> Sql<()> {
        self.with(|c| {
            c.execute(
                "INSERT INTO jobs (id, user, title, description, process, status, progress, created, updated) VALUES (?1,?2,?3,?4,?5,?6,0,?7,?7)",
                params![job.id, job.user, job.title, job.description, job.process.to_string(), job.status.as_str(), job.created],
            )
            .map(|_| ())
        })
    }

    fn row(r: &rusqlite::Row<'_>) -> Sql<Job> {
        let process: String = r.get(4)?;
        let status: String = r.get(5)?;
        let results: Option<String> = r.get(9)?;
        Ok(Job {
            id: r.get(0)?,
            user: r.get(1)?,
            title: r.get(2)?,
            description: r.get(3)?,
            process: serde_json::from_str(&process).unwrap_or(Value::Null),
            status: JobStatus::parse(&status),
            progress: r.get(6)?,
            created: r.get(7)?,
            updated: r.get(8)?,
            results: results.and_then(|s| serde_json::from_str(&s).ok()),
            cpu_seconds: r.get(10)?,
        })
    }

    const COLUMNS: &'static str =
        "id, user, title, description, process, status, progress, created, updated, results, cpu_seconds";

    /// The job `id` if it belongs to `user` (`None` user: any owner).
    pub(crate) fn job(&self, id: &str, user: Option<&str>) -> Sql<Option<Job>> {
        self.with(|c| {
            let job = c
                .query_row(
                    &format!("SELECT {} FROM jobs WHERE id = ?1", Self::COLUMNS),
                    params![id],
                    Self::row,
                )
                .optional()?;
            Ok(job.filter(|j| user.is_none_or(|u| j.user == u)))
        })
    }

    pub(crate) fn jobs_of(&self, user: &str) -> Sql<Vec<Job>> {
        self.with(|c| {
            let mut st = c.prepare(&format!(
                "SELECT {} FROM jobs WHERE user = ?1 ORDER BY created, id",
                Self::COLUMNS
            ))?;
            st.query_map(params![user], Self::row)?.collect()
        })
    }

    pub(crate) fn update_meta(
        &self,
        id: &str,
        title: Option<&str>,
        description: Option<&str>,
        process: Option<&Value>,
    ) -> Sql<()> {
        self.with(|c| {
            if let Some(t) = title {
                c.execute("UPDATE jobs SET title = ?2 WHERE id = ?1", params![id, t])?;
            }
            if let Some(d) = description {
                c.execute("UPDATE jobs SET description = ?2 WHERE id = ?1", params![id, d])?;
            }
            if let Some(p) = process {
                c.execute("UPDATE jobs SET process = ?2 WHERE id = ?1", params![id, p.to_string()])?;
            }
            c.execute("UPDATE jobs SET updated = ?2 WHERE id = ?1", params![id, now()])
                .map(|_| ())
        })
    }

    /// Sets the status; with `only_from`, only when the current status is one of those. Returns whether it changed.
    /// The one way a job's status changes: moves job `id` to `status` (only from one of `only_from`, when not
    /// empty) and appends the log entry that explains it (`code` for error entries) in one transaction, so nobody
    /// sees the new status without its entry.
    /// Returns false, and logs nothing, when the job was in another status.
    pub(crate) fn transition(
        &self,
        id: &str,
        status: JobStatus,
        only_from: &[JobStatus],
        level: &str,
        code: Option<&str>,
        message: &str,
    ) -> Sql<bool> {
        self.with(|c| {
            let tx = c.unchecked_transaction()?;
            let moved = update_status(&tx, id, status, only_from)?;
            if moved {
                insert_log(&tx, id, level, code, message)?;
            }
            tx.commit()?;
            Ok(moved)
        })
    }

    pub(crate) fn set_progress(&self, id: &str, progress: f64) -> Sql<()> {
        self.with(|c| {
            c.execute("UPDATE jobs SET progress = ?2 WHERE id = ?1", params![id, progress])
                .map(|_| ())
        })
    }

    pub(crate) fn set_results(&self, id: &str, results: &Value, cpu_seconds: f64) -> Sql<()> {
        self.with(|c| {
            c.execute(
                "UPDATE jobs SET results = ?2, cpu_seconds = ?3 WHERE id = ?1",
                params![id, results.to_string(), cpu_seconds],
            )
            .map(|_| ())
        })
    }

    pub(crate) fn delete_job(&self, id: &str) -> Sql<()> {
        self.with(|c| {
            c.execute("DELETE FROM logs WHERE job = ?1", params![id])?;
            c.execute("DELETE FROM jobs WHERE id = ?1", params![id]).map(|_| ())
        })
    }

    /// Appends a log entry that goes with no change of status.
    pub(crate) fn log(&self, job: &str, level: &str, message: &str) {
        if let Err(e) = self.with(|c| insert_log(c, job, level, None, message)) {
            tracing::error!("cannot store a log entry of job {job}: {e}");
        }
    }

    /// Log entries after `offset` (the id of the last entry seen) at or above `level`.
    pub(crate) fn logs(&self, job: &str, offset: Option<i64>, min_level: u8) -> Sql<Vec<LogEntry>> {
        self.with(|c| {
            let mut st =
                c.prepare("SELECT seq, level, message, time, code FROM logs WHERE job = ?1 AND seq > ?2 ORDER BY seq")?;
            let rows: Vec<LogEntry> = st
                .query_map(params![job, offset.unwrap_or(-1)], |r| {
                    Ok(LogEntry {
                        seq: r.get(0)?,
                        level: r.get(1)?,
                        message: r.get(2)?,
                        time: r.get(3)?,
                        code: r.get(4)?,
                    })
                })?
                .collect::<Sql<_>>()?;
            Ok(rows.into_iter().filter(|r| level_rank(&r.level) >= min_level).collect())
        })
    }

    /// Marks jobs left `queued` or `running` by a previous process as failed, with a log entry.
    pub(crate) fn recover_interrupted(&self) -> Sql<Vec<String>> {
        let ids: Vec<String> = self.with(|c| {
            let mut st = c.prepare("SELECT id FROM jobs WHERE status IN ('queued', 'running')")?;
            st.query_map([], |r| r.get(0))?.collect()
        })?;
        for id in &ids {
            self.transition(
                id,
                JobStatus::Error,
                &[],
                "error",
                Some("JobInterrupted"),
                "the job was interrupted by a restart of the server; start it again",
            )?;
        }
        Ok(ids)
    }

    pub(crate) fn put_udp(&self, user: &str, id: &str, body: &Value) -> Sql<()> {
        self.with(|c| {
            c.execute(
                "INSERT OR REPLACE INTO udps (user, id, body) VALUES (?1,?2,?3)",
                params![user, id, body.to_string()],
            )
            .map(|_| ())
        })
    }

    pub(crate) fn udp(&self, user: &str, id: &str) -> Sql<Option<Value>> {
        self.with(|c| {
            let s: Option<String> = c
                .query_row(
                    "SELECT body FROM udps WHERE user = ?1 AND id = ?2",
                    params![user, id],
                    |r| r.get(0),
                )
                .optional()?;
            Ok(s.and_then(|s| serde_json::from_str(&s).ok()))
        })
    }

    pub(crate) fn udps(&self, user: &str) -> Sql<Vec<Value>> {
        self.with(|c| {
            let mut st = c.prepare("SELECT body FROM udps WHERE user = ?1 ORDER BY id")?;
            let rows: Vec<String> = st.query_map(params![user], |r| r.get(0))?.collect::<Sql<_>>()?;
            Ok(rows.into_iter().filter_map(|s| serde_json::from_str(&s).ok()).collect())
        })
    }

    pub(crate) fn delete_udp(&self, user: &str, id: &str) -> Sql<bool> {
        self.with(|c| {
            c.execute("DELETE FROM udps WHERE user = ?1 AND id = ?2", params![user, id])
                .map(|n| n > 0)
        })
    }

    pub(crate) fn insert_token(&self, token: &str, user: &str) -> Sql<()> {
        self.with(|c| {
            c.execute(
                "INSERT INTO tokens (token, user, created) VALUES (?1,?2,?3)",
                params![token, user, now()],
            )
            .map(|_| ())
        })
    }

    pub(crate) fn token_user(&self, token: &str) -> Sql<Option<String>> {
        self.with(|c| {
            c.query_row("SELECT user FROM tokens WHERE token = ?1", params![token], |r| r.get(0))
                .optional()
        })
    }
}

/// Ordering of log levels: debug < info < warning < error.
pub(crate) fn level_rank(level: &str) -> u8 {
    match level {
        "error" => 3,
        "warning" => 2,
        "info" => 1,
        _ => 0,
    }
}

/// Sets a job's status (only from one of `only_from`, when not empty); false when the job is not there or in
/// another status.
fn update_status(c: &Connection, id: &str, status: JobStatus, only_from: &[JobStatus]) -> Sql<bool> {
    let current: Option<String> = c
        .query_row("SELECT status FROM jobs WHERE id = ?1", params![id], |r| r.get(0))
        .optional()?;
    let Some(current) = current else {
        return Ok(false);
    };
    if !only_from.is_empty() && !only_from.contains(&JobStatus::parse(&current)) {
        return Ok(false);
    }
    let progress_sql = if status == JobStatus::Finished {
        ", progress = 100"
    } else {
        ""
    };
    c.execute(
        &format!("UPDATE jobs SET status = ?2, updated = ?3{progress_sql} WHERE id = ?1"),
        params![id, status.as_str(), now()],
    )?;
    Ok(true)
}

/// Appends an entry to a job's log.
fn insert_log(c: &Connection, job: &str, level: &str, code: Option<&str>, message: &str) -> Sql<()> {
    let seq: i64 = c.query_row(
        "SELECT COALESCE(MAX(seq), -1) + 1 FROM logs WHERE job = ?1",
        params![job],
        |r| r.get(0),
    )?;
    c.execute(
        "INSERT INTO logs (job, seq, level, message, time, code) VALUES (?1,?2,?3,?4,?5,?6)",
        params![job, seq, level, message, now(), code],
    )
    .map(|_| ())
}
