// The spec was generated with the Vector API kernels (vectorBits 256), compiled with the incubator module, and the
// project's own test trained the model (the test asserts that the loss went down).
def generated = new File(basedir, 'target/generated-sources/rnn/it/vector/VectorChars.java')
assert generated.isFile() : "missing ${generated}"
def source = generated.text
assert source.contains('FloatVector.SPECIES_256') : 'not generated with 256-bit vectors'
assert source.contains('mulAddVectors') : 'no vector product helpers'
assert new File(basedir, 'target/classes/it/vector/VectorChars.class').isFile() : 'VectorChars was not compiled'
def log = new File(basedir, 'build.log').text
assert log.contains('Tests run: 1, Failures: 0, Errors: 0, Skipped: 0') : 'the training test did not pass'
return true
