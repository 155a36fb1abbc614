// The spec was generated into the default output directory and compiled, and the project's own
// test trained the model (the test asserts that the loss went down).
def generated = new File(basedir, 'target/generated-sources/rnn/it/train/TinyChars.java')
assert generated.isFile() : "missing ${generated}"
assert new File(basedir, 'target/classes/it/train/TinyChars.class').isFile() : 'TinyChars was not compiled'

def log = new File(basedir, 'build.log').text
assert log.contains('[INFO] tiny.rnn: generated it/train/TinyChars.java') : 'no info line for tiny.rnn'
assert log.contains('Tests run: 1, Failures: 0, Errors: 0, Skipped: 0') : 'the training test did not pass'
return true
