import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Runs the real `lienthong` binary for end-to-end tests. Processes are stopped only by their own
/// pid (`kill(pid, SIGKILL)`), never by name or group.
public struct CLIProcess {
    /// What a finished run printed and how it exited.
    public struct Result: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String
    }

    /// The built `lienthong` executable: `LIENTHONG_BIN`, else next to the test bundle (SwiftPM puts
    /// both in the same build folder), else `.build/debug/lienthong` in the package.
    public static let binaryURL: URL = {
        if let path = ProcessInfo.processInfo.environment["LIENTHONG_BIN"] { return URL(fileURLWithPath: path) }
        var candidates: [URL] = []
        if let argument = CommandLine.arguments.first {
            var url = URL(fileURLWithPath: argument).resolvingSymlinksInPath().deletingLastPathComponent()
            for _ in 0..<4 {
                candidates.append(url.appendingPathComponent("lienthong"))
                url = url.deletingLastPathComponent()
            }
        }
        candidates.append(Fixtures.packageRoot.appendingPathComponent(".build/debug/lienthong"))
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[candidates.count - 1]
    }()

    /// Runs `lienthong arguments…` to completion, on the tests' clock (``TestDate``).
    /// `environment` adds to (or overrides) this process's environment; `wrapper` runs it through
    /// another program (`["/usr/bin/faketime", "-f", "-1d"]` runs `faketime -f -1d lienthong …`).
    public static func run(_ arguments: [String], environment: [String: String] = [:], wrapper: [String] = []) throws -> Result {
        let process = Process()
        if let launcher = wrapper.first {
            process.executableURL = URL(fileURLWithPath: launcher)
            process.arguments = wrapper.dropFirst() + [binaryURL.path] + arguments
        } else {
            process.executableURL = binaryURL
            process.arguments = arguments
        }
        process.environment = CLIProcess.environment(environment)
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read both pipes to the end before waiting, so a full pipe cannot stall the child.
        let errData = ReadAll(err.fileHandleForReading)
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData.wait(), as: UTF8.self))
    }

    /// The environment a `lienthong` process starts with: this process's environment, the tests'
    /// clock (``TestDate/environment``), then `overrides`. A `faketime` wrapper moves the machine's
    /// clock under that (the clock-skew tests): the two add up.
    static func environment(_ overrides: [String: String]) -> [String: String] {
        ProcessInfo.processInfo.environment.merging(TestDate.environment) { _, new in new }.merging(overrides) { _, new in new }
    }

    /// Every process started through ``Running`` or ``register(_:)`` and not yet released, so a
    /// watchdog can stop them all (each by its own pid) before giving up on a run.
    private static let registry = Registry()

    /// Adds a process this program started (another tool, such as the fault proxy) to those
    /// ``killAll()`` stops.
    public static func register(_ process: Process) { registry.add(process) }

    /// SIGKILL to every registered process still running, by its own pid.
    public static func killAll() { registry.killAll() }

    final class Registry: @unchecked Sendable {
        // Safe: `processes` is touched under `lock` only.
        private let lock = NSLock()
        private var processes: [ObjectIdentifier: Process] = [:]

        func add(_ process: Process) { lock.withLock { processes[ObjectIdentifier(process)] = process } }
        func remove(_ process: Process) { lock.withLock { processes[ObjectIdentifier(process)] = nil } }

        func killAll() {
            for process in lock.withLock({ Array(processes.values) }) where process.isRunning {
                // A wrapper's child first (faketime passes no signal on), then the process.
                let pid = process.processIdentifier
                let children = (try? String(contentsOfFile: "/proc/\(pid)/task/\(pid)/children", encoding: .utf8)) ?? ""
                for child in children.split(separator: " ").compactMap({ Int32($0) }) { _ = kill(child, SIGKILL) }
                _ = kill(pid, SIGKILL)
            }
        }
    }

    /// A running `lienthong` process whose stdout is read line by line.
    public final class Running {
        public let process: Process
        private let output: FileHandle
        private var buffer: [UInt8] = []
        private var finished = false
        private let stderrFile: URL

        /// Starts `lienthong arguments…`; `environment` adds to (or overrides) this process's.
        /// `wrapper` runs it through another program. One that forks (`wrapperForks`), such as
        /// `["/usr/bin/faketime", "-f", "+1d"]`, must start `lienthong` as its only child and wait
        /// for it: signals then go to that child, by its own pid, found in /proc (faketime passes
        /// none on). One that execs `lienthong` in its own process (`fiu-run`) keeps the pid.
        public init(_ arguments: [String], environment: [String: String] = [:], wrapper: [String] = [], wrapperForks: Bool = true) throws {
            process = Process()
            if let launcher = wrapper.first {
                process.executableURL = URL(fileURLWithPath: launcher)
                process.arguments = wrapper.dropFirst() + [CLIProcess.binaryURL.path] + arguments
            } else {
                process.executableURL = CLIProcess.binaryURL
                process.arguments = arguments
            }
            wrapped = !wrapper.isEmpty && wrapperForks
            process.environment = CLIProcess.environment(environment)
            let pipe = Pipe()
            process.standardOutput = pipe
            stderrFile = FileManager.default.temporaryDirectory.appendingPathComponent("lienthong-stderr-\(UUID().uuidString)")
            _ = FileManager.default.createFile(atPath: stderrFile.path, contents: nil)
            process.standardError = try FileHandle(forWritingTo: stderrFile)
            output = pipe.fileHandleForReading
            try process.run()
            CLIProcess.registry.add(process)
        }

        private let wrapped: Bool

        public var pid: Int32 { process.processIdentifier }

        /// The pid of `lienthong` itself: the process's own, or, under a wrapper, its child's (nil
        /// if the wrapper has none, yet or any more).
        public var lienthongPID: Int32? {
            guard wrapped else { return pid }
            let children = (try? String(contentsOfFile: "/proc/\(pid)/task/\(pid)/children", encoding: .utf8)) ?? ""
            return children.split(separator: " ").first.flatMap { Int32($0) }
        }

        /// Sends `signal` to `lienthong` (see ``lienthongPID``) while the process runs.
        private func send(_ signal: Int32) {
            guard process.isRunning else { return }
            if wrapped {
                // Once the wrapper has reaped its child it exits too; until then the child is its.
                // Just started, the wrapper may not have forked yet: wait for the child a little.
                var child = lienthongPID
                let deadline = ContinuousClock.now + .seconds(2)
                while child == nil, process.isRunning, ContinuousClock.now < deadline {
                    Thread.sleep(forTimeInterval: 0.01)
                    child = lienthongPID
                }
                if let child { _ = kill(child, signal) } else if signal == SIGKILL { _ = kill(pid, SIGKILL) }
            } else {
                _ = kill(pid, signal)
            }
        }

        /// The next line of stdout, waiting for it; nil at end of output.
        public func nextLine() -> String? {
            while true {
                if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = String(decoding: buffer[..<newline], as: UTF8.self)
                    buffer.removeSubrange(...newline)
                    return line
                }
                if finished { return nil }
                let chunk = output.availableData  // blocks until data or end of file
                if chunk.isEmpty { finished = true } else { buffer.append(contentsOf: chunk) }
            }
        }

        /// Every remaining line until the process closes its output.
        public func remainingLines() -> [String] {
            var lines: [String] = []
            while let line = nextLine() { lines.append(line) }
            return lines
        }

        /// Sends SIGKILL to this process (by its own pid) and reaps it. Nothing is sent once it has
        /// exited: its pid may belong to another process by then.
        public func kill9() {
            guard process.isRunning else { return }
            send(SIGKILL)
            process.waitUntilExit()
        }

        /// Sends SIGTERM to this process (by its own pid, `Process.terminate()`) and returns its exit
        /// status once it has stopped: a graceful shutdown exits 0.
        /// A process still running `grace` after SIGTERM gets SIGKILL (and a nonzero status).
        @discardableResult
        public func terminate(grace: Duration = .seconds(60)) -> Int32 {
            guard process.isRunning else { return process.terminationStatus }
            if wrapped { send(SIGTERM) } else { process.terminate() }
            let deadline = ContinuousClock.now + grace
            while process.isRunning && ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.02) }
            if process.isRunning { kill9() }
            process.waitUntilExit()
            return process.terminationStatus
        }

        /// Waits for the process to exit and returns its status.
        @discardableResult
        public func wait() -> Int32 {
            process.waitUntilExit()
            return process.terminationStatus
        }

        public var stderr: String { (try? String(contentsOf: stderrFile, encoding: .utf8)) ?? "" }

        deinit {
            send(SIGKILL)
            CLIProcess.registry.remove(process)
            try? FileManager.default.removeItem(at: stderrFile)
        }
    }
}

/// Reads a file handle to its end on a background thread.
private final class ReadAll: @unchecked Sendable {
    // Safe: `data` is written once by the reading thread before `done` is signalled, and read only
    // after `wait()` has seen the signal.
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        Thread.detachNewThread { [self] in
            data = handle.readDataToEndOfFile()
            done.signal()
        }
    }

    func wait() -> Data {
        done.wait()
        return data
    }
}
