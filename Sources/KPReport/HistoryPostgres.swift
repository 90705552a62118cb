import Foundation
import KPCore

/// The history in a PostgreSQL table, for a team whose CI machines come and go: the same rows as the
/// CSV, one table Otava's postgres mode reads directly (docs/reports.md, "Run history").
///
/// Written and read with the `psql` program (Debian's postgresql-client), one process per
/// `kp-report history add` / `check` / `show`, never per run step: there is no Swift PostgreSQL client
/// among this package's dependencies, and postgres-nio with its dependencies would add minutes to every
/// CI build for a few statements per run. Values never become SQL text: the rows go in with
/// `COPY … FROM STDIN` (CSV data after the statement), and the names that must be in the SQL (the
/// table, figure columns) are psql variables interpolated as quoted identifiers (`:"name"`).
public struct HistoryPostgres: Sendable {
    /// A `postgresql://` URL (libpq's connection URI), passed to psql as its database.
    public var dsn: String
    /// The table's name (created if missing).
    public var table: String

    public static let defaultTable = "kp_bench_history"

    public init(dsn: String, table: String = Self.defaultTable) throws(HistoryError) {
        guard dsn.hasPrefix("postgresql://") || dsn.hasPrefix("postgres://") else {
            throw HistoryError(
                "--dsn '\(Self.redacted(dsn))' is not a postgresql:// URL; give postgresql://user@host:port/database")
        }
        guard table.range(of: "^[a-z_][a-z0-9_]{0,62}$", options: .regularExpression) != nil else {
            throw HistoryError(
                "--table '\(table)' is not a plain lower-case SQL name; use letters, digits and _ (e.g. \(Self.defaultTable))"
            )
        }
        self.dsn = dsn
        self.table = table
    }

    /// The URL with any password replaced by `***` (for messages).
    public static func redacted(_ dsn: String) -> String {
        guard var c = URLComponents(string: dsn), c.password != nil else { return dsn }
        c.password = "***"
        return c.string ?? dsn
    }

    /// The URL's parts as Otava's PostgreSQL options want them (host, port, user, password, database),
    /// with libpq's defaults and environment (PGPASSWORD …) filling what the URL leaves out.
    public var otavaEnvironment: [String: String] {
        let env = ProcessInfo.processInfo.environment
        let c = URLComponents(string: dsn)
        let host = c?.host.flatMap { $0.isEmpty ? nil : $0 } ?? env["PGHOST"] ?? "127.0.0.1"
        let port = c?.port.map(String.init) ?? env["PGPORT"] ?? "5432"
        let user = c?.user ?? env["PGUSER"] ?? env["USER"] ?? "postgres"
        var db = c?.path ?? ""
        if db.hasPrefix("/") { db.removeFirst() }
        if db.isEmpty { db = env["PGDATABASE"] ?? user }
        var out = [
            "POSTGRES_HOSTNAME": host, "POSTGRES_PORT": port, "POSTGRES_USERNAME": user, "POSTGRES_DATABASE": db,
        ]
        if let p = c?.password ?? env["PGPASSWORD"] { out["POSTGRES_PASSWORD"] = p.removingPercentEncoding ?? p }
        return out
    }

    /// Adds `rows` whose run id the table lacks (creating the table and any new figure column first),
    /// in one transaction; returns the run ids added.
    @discardableResult
    public func append(_ rows: [HistoryRow]) throws(HistoryError) -> [String] {
        var figureColumns: [String] = []
        for r in rows { for k in r.figureOrder where !figureColumns.contains(k) { figureColumns.append(k) } }
        var vars: [String] = ["-v", "t=\(table)"]
        for (i, c) in figureColumns.enumerated() { vars += ["-v", "f\(i)=\(c)"] }
        let attrs = HistoryRow.attributeColumns
        var sql = "SET client_min_messages = warning;\nBEGIN;\n"
        sql += "CREATE TABLE IF NOT EXISTS :\"t\" ("
        sql +=
            attrs.map { c in
                switch c {
                case "time": return "\"time\" timestamptz NOT NULL"
                case "run_id": return "\"run_id\" text PRIMARY KEY"
                default: return "\"\(c)\" text NOT NULL DEFAULT ''"
                }
            }.joined(separator: ", ") + ");\n"
        for i in figureColumns.indices {
            sql += "ALTER TABLE :\"t\" ADD COLUMN IF NOT EXISTS :\"f\(i)\" double precision;\n"
        }
        sql += "CREATE TEMP TABLE kp_history_in ON COMMIT DROP AS SELECT * FROM :\"t\" WITH NO DATA;\n"
        let copyColumns = attrs.map { "\"\($0)\"" } + figureColumns.indices.map { ":\"f\($0)\"" }
        sql += "COPY kp_history_in (\(copyColumns.joined(separator: ", "))) FROM STDIN WITH (FORMAT csv);\n"
        for r in rows {
            let fields = attrs.map { r[$0] } + figureColumns.map { r.figures[$0].map(HistoryCSV.number) ?? "" }
            // An empty unquoted CSV field is NULL: a figure the run lacks. Attributes are quoted, so an
            // empty attribute stays ''.
            sql +=
                fields.enumerated().map { i, f in
                    i < attrs.count ? "\"" + f.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : f
                }.joined(separator: ",") + "\n"
        }
        sql += "\\.\n"
        sql +=
            "WITH added AS (INSERT INTO :\"t\" SELECT * FROM kp_history_in ON CONFLICT (run_id) DO NOTHING RETURNING run_id) SELECT run_id FROM added;\n"
        sql += "COMMIT;\n"
        let out = try psql(vars, script: sql)
        return out.split(separator: "\n").map(String.init).filter { !$0.isEmpty && $0 != "BEGIN" && $0 != "COMMIT" }
    }

    /// The table as a ``HistoryTable`` (oldest first), through `COPY … TO STDOUT` as CSV; a missing
    /// table is an empty history.
    public func read() throws(HistoryError) -> HistoryTable {
        let sql = """
            SET client_min_messages = warning;
            SET TimeZone = 'UTC';
            SET DateStyle = 'ISO';
            SELECT to_regclass(:'t') IS NOT NULL AS present \\gset
            \\if :present
            COPY (SELECT * FROM :"t" ORDER BY "time", run_id) TO STDOUT WITH (FORMAT csv, HEADER true);
            \\endif

            """
        let text = try psql(["-v", "t=\(table)"], script: sql)
        return try HistoryTable(csv: text, source: "\(Self.redacted(dsn)) table \(table)")
    }

    /// Runs `psql` with `script` on stdin; its stdout, or psql's own error line.
    func psql(_ vars: [String], script: String) throws(HistoryError) -> String {
        guard let psql = ExecutableSearch.find("psql") else {
            throw HistoryError(
                "psql not found on PATH: install Debian's postgresql-client (scripts/install-deps.sh test)")
        }
        var env = ProcessInfo.processInfo.environment
        env["PGCONNECT_TIMEOUT"] = env["PGCONNECT_TIMEOUT"] ?? "10"
        let r = HistoryProcess.run(
            psql, ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", dsn] + vars, environment: env,
            stdin: Data(script.utf8))
        guard r.status == 0 else {
            let line =
                r.stderr.split(separator: "\n").first {
                    $0.contains("ERROR") || $0.contains("error") || $0.contains("FATAL")
                }
                ?? r.stderr.split(separator: "\n").last ?? "exit \(r.status)"
            throw HistoryError("psql on \(Self.redacted(dsn)): \(line)")
        }
        return r.stdout
    }
}

/// One child process run to its end: stdin from a temporary file, stdout and stderr to temporary
/// files (no pipe can fill up and stall it), started with posix_spawn and reaped with a blocking
/// waitpid on its pid (so a daemon it leaves behind, as pg_ctl start does, cannot hold the caller).
enum HistoryProcess {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func run(
        _ executable: String, _ args: [String], environment: [String: String], stdin: Data = Data(),
        currentDirectory: String? = nil
    ) -> Result {
        let dir = NSTemporaryDirectory() + "kp-history-\(getpid())-\(UUID().uuidString.prefix(8))"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let paths = [dir + "/stdin", dir + "/stdout", dir + "/stderr"]
        _ = FileManager.default.createFile(atPath: paths[0], contents: stdin)
        let fds = [
            open(paths[0], O_RDONLY | O_CLOEXEC), open(paths[1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600),
            open(paths[2], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600),
        ]
        defer { for fd in fds where fd >= 0 { close(fd) } }
        guard fds.allSatisfy({ $0 >= 0 }) else {
            return Result(status: 127, stdout: "", stderr: "cannot create temporary files in \(dir)")
        }
        // A working directory other than ours: env -C (coreutils) changes to it, then execs the program.
        let argv = (currentDirectory.map { ["/usr/bin/env", "-C", $0, executable] } ?? [executable]) + args
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (fd, target) in zip(fds, [Int32(0), 1, 2]) { posix_spawn_file_actions_adddup2(&actions, fd, target) }
        let cArgs = argv.map { strdup($0) } + [nil]
        let cEnv = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for p in cArgs { free(p) }
            for p in cEnv { free(p) }
        }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, argv[0], &actions, nil, cArgs, cEnv)
        guard rc == 0 else {
            return Result(
                status: 127, stdout: "", stderr: "\(argv[0]) cannot be started: \(String(cString: strerror(rc)))")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        // WIFEXITED / WEXITSTATUS, which Swift does not import: a signal gives 128 + its number.
        let code = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        let read = { (path: String) in
            String(decoding: FileManager.default.contents(atPath: path) ?? Data(), as: UTF8.self)
        }
        return Result(status: code, stdout: read(paths[1]), stderr: read(paths[2]))
    }
}
