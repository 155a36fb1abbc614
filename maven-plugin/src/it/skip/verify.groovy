def log = new File(basedir, 'build.log').text
assert log.count('[INFO] Skipping .rnn generation: unroll.skip is true') == 2 : 'unroll.skip did not skip both goals'
assert log.count('[INFO] Skipping .rnn generation: maven.test.skip is true') == 1 : 'maven.test.skip did not skip generate-test'
assert log.count('[INFO] main.rnn: generated it/skip/Main.java') == 1 : 'generate did not run in the second build'
assert new File(basedir, 'target/generated-sources/rnn/it/skip/Main.java').isFile() : 'Main.java missing'
assert !new File(basedir, 'target/generated-test-sources').exists() : 'test sources were generated'
return true
