// Every diagnostic is logged as file:line:col: error: message with the source line and a caret,
// the build fails with the count, and nothing is generated, not even from the good spec.
def log = new File(basedir, 'build.log').text
def broken = new File(basedir, 'src/main/rnn/broken.rnn').absolutePath
def twice = new File(basedir, 'src/main/rnn/more/twice.rnn').absolutePath

def first = "[ERROR] ${broken}:5:5: error: unknown cell type 'lstn'; did you mean 'lstm'?\n    lstn 128;\n    ^"
assert log.contains(first) : "build.log lacks:\n${first}"
def second = "[ERROR] ${twice}:5:24: error: option 'dropout' is given twice in lstm layer; the first is at 5:12"
assert log.contains(second) : "build.log lacks:\n${second}"
assert log.count(": error: ") == 2 : 'each error is logged once'
assert log.contains('2 errors in .rnn specs under') : 'no failure message with the count'

def out = new File(basedir, 'target/generated-sources/rnn')
assert !out.exists() || out.list().length == 0 : "generated files left behind: ${out.list()}"
def work = new File(basedir, 'target/unroll-maven-plugin')
assert !work.exists() || work.list().length == 0 : "state or temporary files left behind: ${work.list()}"
return true
