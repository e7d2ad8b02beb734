/// A command line split the way the parser will read it: which long options it sets and whether it names
/// positional arguments (locations), so that a job file fills in only what the command line leaves out.
struct CommandLineWords {
    /// Long names of the options and flags given (`--concurrency 2` and `--concurrency=2` both count).
    var optionNames: Set<String> = []
    /// Whether any positional argument (a location) is given.
    var hasPositionals = false
    /// The words before a `--` terminator, and the terminator and what follows it.
    var beforeTerminator: [String] = []
    var fromTerminator: [String] = []

    init(_ words: [String], specs: [ArgumentSpec]) {
        var index = 0
        while index < words.count {
            let word = words[index]
            if word == "--" {
                fromTerminator = Array(words[index...])
                if index + 1 < words.count { hasPositionals = true }
                break
            }
            beforeTerminator.append(word)
            index += 1
            if word.hasPrefix("--") {
                let name = String(word.dropFirst(2).prefix { $0 != "=" })
                optionNames.insert(name)
                guard let spec = ArgumentSpec.named(name, in: specs), spec.kind == .option, !word.contains("=")
                else { continue }
                index = consumeValues(of: spec, in: words, from: index)
            } else if word.hasPrefix("-"), word.count > 1 {
                let shorts = word.dropFirst().map(String.init)
                for short in shorts {
                    if let spec = specs.first(where: { $0.shortNames.contains(short) }) {
                        optionNames.formUnion(spec.longNames)
                        if spec.kind == .option, short == shorts.last {
                            index = consumeValues(of: spec, in: words, from: index)
                        }
                    }
                }
            } else {
                hasPositionals = true
            }
        }
    }

    /// Copies an option's value words and returns the index after them.
    private mutating func consumeValues(of spec: ArgumentSpec, in words: [String], from start: Int) -> Int {
        var index = start
        if index < words.count, words[index] != "--" {
            beforeTerminator.append(words[index])
            index += 1
        }
        if spec.takesWordsUpToNextOption {
            while index < words.count, !words[index].hasPrefix("-") {
                beforeTerminator.append(words[index])
                index += 1
            }
        }
        return index
    }
}
