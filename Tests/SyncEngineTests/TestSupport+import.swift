// The helpers of Tests/Support (CLIRunner, ScratchDirectory, RealRegions, FaultProxy, ...) in every file here.
@_exported import TestSupport
