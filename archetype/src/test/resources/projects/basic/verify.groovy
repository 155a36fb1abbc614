// The created project built, its test trained the model, and its main trained, evaluated,
// checkpointed and drew the learning curve. basedir is this folder; the project is created in
// project/<artifactId>.
def project = new File(basedir, 'project/rnn-starter')
def log = new File(project, 'build.log').text
def target = new File(project, 'target')
assert new File(target, 'generated-sources/rnn/com/example/it/starter/SequenceClassifier.java').isFile() : 'model not generated'
assert new File(target, 'classes/com/example/it/starter/App.class').isFile() : 'App not compiled'
assert log =~ /Tests run: 3, Failures: 0, Errors: 0, Skipped: 0/ : 'the project test did not run, or failed'
def trained = (log =~ /trained 400 updates in [0-9.]+ s, loss [0-9.]+; held-out accuracy ([0-9.]+)% \(1000 sequences\)/)
assert trained.find() : "the App did not report training:\n${log}"
assert Double.parseDouble(trained.group(1)) > 90 : "held-out accuracy ${trained.group(1)}%"
assert new File(target, 'sequence-classifier.safetensors').length() > 0 : 'no checkpoint'
assert log =~ /reloaded, held-out accuracy ${java.util.regex.Pattern.quote(trained.group(1))}%/ : 'the reloaded model differs'
assert new File(target, 'learning-curve.svg').text.contains('<polyline') : 'no learning curve'
assert new File(target, 'learning-curve.csv').readLines().size() == 41 : 'a header and 40 points'
// The pom pins what Maven 3.8 would otherwise get wrong, and names this build's Unroll version.
def pom = new File(project, 'pom.xml').text
assert pom.contains('<maven.compiler.release>17</maven.compiler.release>')
assert !pom.contains('@') : 'an unfiltered @token@ is left in the pom'
return true
