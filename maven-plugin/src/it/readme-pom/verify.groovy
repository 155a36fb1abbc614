// The spec was generated and compiled with the hand-written class that uses it, and packaged.
def classes = new File(basedir, 'target/classes/com/example/mymodel')
assert new File(classes, 'Tiny.class').isFile() : 'the generated model was not compiled'
assert new File(classes, 'App.class').isFile() : 'the class using the model was not compiled'
assert new File(basedir, 'target/my-model-1.0-SNAPSHOT.jar').isFile() : 'no jar'
def log = new File(basedir, 'build.log').text
assert log.contains('[INFO] tiny.rnn: generated com/example/mymodel/Tiny.java')
assert log.contains('BUILD SUCCESS')
// Which Maven built it: the execution 'maven-3.9' clones into target/it-maven-3.9 and must have
// run the fetched 3.9; the default one runs the Maven of the outer build (3.8.7 here).
println "readme-pom was built by Maven ${mavenVersion}"
if (basedir.path.contains('it-maven-3.9')) {
    assert mavenVersion.startsWith('3.9.') : "expected Maven 3.9, ran ${mavenVersion}"
} else {
    assert mavenVersion.startsWith('3.8.') || mavenVersion.startsWith('3.9.') : "unexpected Maven ${mavenVersion}"
}
return true
