import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The built `apex` executable, run as a separate process the way an operator runs it.
final class ApexProcess: @unchecked Sendable {
    let process = Process()
    let logPath: String

    static var executable: URL {
        // The test bundle and the executable are built into the same folder.
        let bundleFolder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [bundleFolder, bundleFolder.deletingLastPathComponent()] {
            let url = candidate.appendingPathComponent("apex")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return bundleFolder.appendingPathComponent("apex")
    }

    init(_ arguments: [String], environment: [String: String] = [:], input: String? = nil) throws {
        logPath = FileManager.default.temporaryDirectory.appendingPathComponent("apex-run-\(UUID().uuidString).log").path
        FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.executableURL = Self.executable
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for key in ["DATABASE_URL", "APEX_PORT", "APEX_HOST", "APEX_DATA_DIR"] { env[key] = nil }
        env.merge(environment) { $1 }
        process.environment = env
        process.standardOutput = log
        process.standardError = log
        if let input {
            let inputPath = logPath + ".in"
            try input.write(toFile: inputPath, atomically: true, encoding: .utf8)
            process.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: inputPath))
        } else {
            process.standardInput = FileHandle.nullDevice
        }
        try process.run()
    }

    var output: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Runs a command to completion and returns its exit status and output.
    static func run(_ arguments: [String], environment: [String: String] = [:], input: String? = nil, timeout: Double = 60) async throws -> (status: Int32, output: String) {
        let apex = try ApexProcess(arguments, environment: environment, input: input)
        try await apex.waitForExit(timeout: timeout)
        return (apex.process.terminationStatus, apex.output)
    }

    func waitForExit(timeout: Double) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning {
            if Date() > deadline {
                process.terminate()
                throw ApexProcessError.timedOut(output)
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Waits for the "apex is listening" log line and returns the port.
    func waitForListeningPort(timeout: Double = 60) async throws -> Int {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let range = output.range(of: #"address=http://127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
                return Int(output[range].split(separator: ":").last!)!
            }
            guard process.isRunning else { throw ApexProcessError.exited(process.terminationStatus, output) }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw ApexProcessError.timedOut(output)
    }

    func interrupt() { kill(process.processIdentifier, SIGINT) }

    /// Runs another program (found on PATH) to completion and returns its standard output.
    static func shell(_ program: String, _ arguments: [String], timeout: Double = 60) async throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [program] + arguments
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning {
            if Date() > deadline { process.terminate(); throw ApexProcessError.timedOut(program) }
            try await Task.sleep(for: .milliseconds(20))
        }
        return String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    }

    static func get(_ url: String) async throws -> (status: Int, body: String) {
        let (data, response) = try await URLSession.shared.data(from: URL(string: url)!)
        return ((response as! HTTPURLResponse).statusCode, String(decoding: data, as: UTF8.self))
    }
}

enum ApexProcessError: Error {
    case timedOut(String)
    case exited(Int32, String)
}

/// Holds a TCP port open so a test can show what happens when it is taken.
final class OccupiedPort {
    let descriptor: Int32
    let port: Int

    init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
        }
        guard bound == 0, listen(descriptor, 1) == 0 else { throw CocoaError(.fileWriteUnknown) }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        self.descriptor = descriptor
        self.port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close(descriptor) }
}
