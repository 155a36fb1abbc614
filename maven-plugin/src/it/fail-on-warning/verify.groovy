// The warning is logged at the error level, the build fails with the count, and nothing is
// generated, not even from the spec without a warning; no state is left, so the next build
// reports the warning again.
def log = new File(basedir, 'build.log').text
def single = new File(basedir, 'src/main/rnn/single.rnn').absolutePath
def warning = "[ERROR] ${single}:6:14: warning: softmax over a single output is always 1; use sigmoid\n    output 1 softmax;\n             ^"
assert log.contains(warning) : "build.log lacks:\n${warning}"
assert log.contains('1 warning in .rnn specs under') && log.contains('(failOnWarning is set); nothing was generated') : 'no failure message'
def out = new File(basedir, 'target/generated-sources/rnn')
assert !out.exists() || out.list().length == 0 : "generated files left behind: ${out.list()}"
def work = new File(basedir, 'target/unroll-maven-plugin')
assert !work.exists() || work.list().length == 0 : "state or temporary files left behind: ${work.list()}"
return true
