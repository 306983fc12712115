import { defineContractSuite } from '../contract/suite.js'
import { startWorkerTarget } from '../contract/support.js'

// The Worker in workerd over the test libSQL server: the same suite as Node.
defineContractSuite('worker', startWorkerTarget)
