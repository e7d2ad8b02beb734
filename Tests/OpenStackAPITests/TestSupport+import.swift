// The helpers of Tests/Support (the Keystone fixtures, ScratchDirectory, ...) in every file here.
@_exported import TestSupport
