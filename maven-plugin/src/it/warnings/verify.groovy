// build.log holds the three builds one after the other.
def log = new File(basedir, 'build.log').text
def single = new File(basedir, 'src/main/rnn/single.rnn').absolutePath
def warning = "${single}:6:14: warning: softmax over a single output is always 1; use sigmoid\n    output 1 softmax;\n             ^"

// Build 1 generates both specs and logs the warning at the warning level, once.
assert log.count("[WARNING] ${warning}") == 1 : "build 1 lacks, at WARNING:\n${warning}"
assert log.contains('[INFO] single.rnn: generated it/warnings/Single.java') : 'build 1 did not generate single.rnn'
// Build 2 (-q) finds everything up to date, so it generated nothing, and still shows the warning:
// -q hides every level but errors, so the warning is logged there, its text saying "warning:".
assert log.count('single.rnn: generated') == 1 : 'an up-to-date spec was generated again'
def quietAndStrict = log.findAll(java.util.regex.Pattern.quote("[ERROR] ${warning}"))
assert quietAndStrict.size() == 2 : "builds 2 (-q) and 3 (failOnWarning) must each log the warning at ERROR:\n${log}"
// Build 3 fails on the recorded warning of the up-to-date spec, and says why.
assert log =~ /\[ERROR\] Failed to execute goal dev\.unroll:unroll-maven-plugin:[^ ]+:generate \(default\) on project warnings: 1 warning in \.rnn specs under \S+ \(failOnWarning is set\); nothing was generated/ : 'build 3 did not fail on the warning'
// The clean spec has no warning in any build.
def clean = new File(basedir, 'src/main/rnn/clean.rnn').absolutePath
assert !log.contains("${clean}:") : 'clean.rnn reported a problem'
def out = new File(basedir, 'target/generated-sources/rnn/it/warnings')
assert new File(out, 'Single.java').isFile() && new File(out, 'Clean.java').isFile() : 'outputs of build 1 are gone'
return true
