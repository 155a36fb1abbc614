// The test spec became a test source: generated under generated-test-sources, compiled into
// test-classes and used by the test; the main sources are untouched.
assert new File(basedir, 'target/generated-test-sources/rnn/it/testspecs/Probe.java').isFile() : 'Probe.java missing'
assert new File(basedir, 'target/test-classes/it/testspecs/Probe.class').isFile() : 'Probe was not test-compiled'
assert !new File(basedir, 'target/generated-sources/rnn').exists() : 'main output directory used'
assert !new File(basedir, 'target/classes/it/testspecs').exists() : 'Probe compiled as a main class'

def log = new File(basedir, 'build.log').text
assert log.contains('[INFO] probe.rnn: generated it/testspecs/Probe.java') : 'no info line for probe.rnn'
assert log.contains('Tests run: 1, Failures: 0, Errors: 0, Skipped: 0') : 'the test did not pass'
return true
