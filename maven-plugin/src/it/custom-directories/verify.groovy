// Only specs/models/**/*.rnn minus drafts were generated, into target/rnn-java, and compiled from there.
def out = new File(basedir, 'target/rnn-java')
def generated = []
if (out.exists()) {
    out.eachFileRecurse(groovy.io.FileType.FILES) { generated << out.toPath().relativize(it.toPath()).toString() }
}
assert generated.sort() == ['it/custom/First.java', 'it/custom/deep/Second.java'] : "generated: ${generated}"
assert !new File(basedir, 'target/generated-sources/rnn').exists() : 'the default output directory was used'
assert new File(basedir, 'target/classes/it/custom/First.class').isFile() : 'First was not compiled'
assert new File(basedir, 'target/classes/it/custom/deep/Second.class').isFile() : 'Second was not compiled'

def log = new File(basedir, 'build.log').text
assert log.contains('[INFO] models/first.rnn: generated it/custom/First.java') : 'no info line for first.rnn'
assert log.contains('[INFO] models/deep/second.rnn: generated it/custom/deep/Second.java') : 'no info line for second.rnn'
assert !log.contains('Unfinished') : 'an excluded or unselected spec was compiled'
return true
