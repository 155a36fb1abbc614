// build.log holds the three builds one after the other.
def log = new File(basedir, 'build.log').text
def out = new File(basedir, 'target/generated-sources/rnn/it/uptodate')

// First build: both specs generated, once.
assert log.count('[INFO] a.rnn: generated it/uptodate/A.java') == 1 : 'a.rnn must be generated once'
assert log.count('[INFO] b.rnn: generated it/uptodate/B.java') == 1 : 'b.rnn must be generated once'
// Second build: nothing regenerated, so the sources kept their times and javac had nothing to do.
assert log =~ /\[INFO\] Nothing to generate: 2 \.rnn specs in \S+ up to date/ : 'second build: not up to date'
assert log.contains('Nothing to compile - all classes are up to date') : 'second build: sources were touched'
// Third build: b.rnn excluded, its output removed; a.rnn still up to date.
assert log.contains('[INFO] Removed it/uptodate/B.java: no spec generates it any more') : 'B.java not removed'
assert log =~ /\[INFO\] Nothing to generate: 1 \.rnn spec in \S+ up to date/ : 'third build: a.rnn not up to date'
assert new File(out, 'A.java').isFile() : 'A.java is gone'
assert !new File(out, 'B.java').exists() : 'B.java is still there'
return true
