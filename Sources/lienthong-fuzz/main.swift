import Foundation
import LienThongFuzz

// lienthong-fuzz: the fuzz targets of issue 8, item 9 (see FuzzTarget).
//
//   lienthong-fuzz seeds DIR                 write each target's seed inputs to DIR/TARGET/
//   lienthong-fuzz replay TARGET PATH...     run TARGET over files (or every file of folders)
//   lienthong-fuzz TARGET [libFuzzer flags]  fuzz TARGET: only in the build Scripts/fuzz.sh makes
//                                            (-sanitize=fuzzer,address -D LIENTHONG_LIBFUZZER)

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("lienthong-fuzz: \(message)\n".utf8))
    exit(2)
}

let targets = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
let arguments = CommandLine.arguments

func target(named name: String) -> FuzzTarget {
    guard let target = FuzzTarget(rawValue: name) else { fail("no target \(name); expected one of \(targets)") }
    return target
}

/// The files named, and the files (not folders, not dot files) directly in the folders named.
func files(under paths: ArraySlice<String>) -> [String] {
    paths.flatMap { path -> [String] in
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else { fail("\(path): no such file or folder") }
        guard isFolder.boolValue else { return [path] }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.sorted().filter { !$0.hasPrefix(".") }.map { path + "/" + $0 }.filter { file in
            var isFolder: ObjCBool = false
            return FileManager.default.fileExists(atPath: file, isDirectory: &isFolder) && !isFolder.boolValue
        }
    }
}

#if LIENTHONG_LIBFUZZER
    /// libFuzzer's entry point when the program has its own main (compiler-rt's FuzzerInterface.h).
    // swift-format-ignore: AlwaysUseLowerCamelCase
    // The C symbol's own name, declared for Swift.
    @_silgen_name("LLVMFuzzerRunDriver")
    func LLVMFuzzerRunDriver(
        _ argc: UnsafeMutablePointer<CInt>,
        _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
        _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
    ) -> CInt

    /// The target libFuzzer drives; set once before the driver starts.
    nonisolated(unsafe) var fuzzed = FuzzTarget.eventDecoder

    /// One input. Also exported under libFuzzer's usual name: SwiftPM links this program's main
    /// with `--defsym`, so compiler-rt's own main is linked in too and needs the symbol (it is
    /// never called: `main` is ours).
    @_cdecl("LLVMFuzzerTestOneInput")
    func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
        let bytes = size == 0 || data == nil ? [] : Array(UnsafeBufferPointer(start: data, count: size))
        do {
            try fuzzed.run(bytes)
        } catch {
            FileHandle.standardError.write(Data("FUZZ FINDING: \(error)\n".utf8))
            abort()
        }
        return 0
    }

    /// Names the target for the processes libFuzzer starts again with its own arguments (`-merge=1`,
    /// `-fork`): they get the flags without the target's name, and find it here.
    let targetVariable = "LIENTHONG_FUZZ_TARGET"

    /// Runs libFuzzer on `target` with `flags` (libFuzzer's flags and corpus folders).
    func fuzz(_ target: FuzzTarget, flags: ArraySlice<String>) -> Never {
        fuzzed = target
        setenv(targetVariable, target.rawValue, 1)
        var argv: [UnsafeMutablePointer<CChar>?] = [strdup(arguments[0])] + flags.map { strdup($0) } + [nil]
        var argc = CInt(argv.count - 1)
        let status = argv.withUnsafeMutableBufferPointer { buffer -> CInt in
            var base = buffer.baseAddress
            return LLVMFuzzerRunDriver(&argc, &base, fuzzOne)
        }
        exit(status)
    }
#endif

#if LIENTHONG_LIBFUZZER
    // A process libFuzzer started again (its flags come first); never `seeds` or `replay`.
    if let name = ProcessInfo.processInfo.environment[targetVariable], arguments.dropFirst().first?.hasPrefix("-") == true {
        fuzz(target(named: name), flags: arguments.dropFirst())
    }
#endif

switch arguments.dropFirst().first {
case "seeds"?:
    guard arguments.count == 3 else { fail("usage: lienthong-fuzz seeds DIR") }
    for target in FuzzTarget.allCases {
        let folder = arguments[2] + "/" + target.rawValue
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for (index, seed) in FuzzSeeds.seeds(for: target).enumerated() {
            try Data(seed).write(to: URL(fileURLWithPath: folder + "/seed-\(index + 1)"))
        }
    }
case "replay"?:
    guard arguments.count >= 4 else { fail("usage: lienthong-fuzz replay TARGET FILE|FOLDER...") }
    let replayed = target(named: arguments[2])
    var findings = 0
    let paths = files(under: arguments[3...])
    for path in paths {
        // Named before it runs: a trap ends the process without a word about which input it was.
        if ProcessInfo.processInfo.environment["LIENTHONG_FUZZ_VERBOSE"] != nil { print("replaying \(path)") }
        guard let data = FileManager.default.contents(atPath: path) else { fail("\(path): cannot read") }
        do {
            try replayed.run(Array(data))
        } catch {
            findings += 1
            print("\(path): \(error)")
        }
    }
    guard !paths.isEmpty else { fail("no inputs to replay in \(arguments[3...].joined(separator: " "))") }
    print("\(replayed.rawValue): \(paths.count) inputs, \(findings) findings")
    exit(findings == 0 ? 0 : 1)
case let name?:
    #if LIENTHONG_LIBFUZZER
        fuzz(target(named: name), flags: arguments.dropFirst(2))
    #else
        _ = target(named: name)
        fail("this build has no libFuzzer; build it with Scripts/fuzz.sh, or use: lienthong-fuzz replay \(name) FILES")
    #endif
case nil:
    fail("usage: lienthong-fuzz seeds DIR | replay TARGET PATH... | TARGET [libFuzzer flags]; targets: \(targets)")
}
