import { defineContractSuite } from './suite.js'
import { startNodeTarget } from './support.js'

defineContractSuite('node', startNodeTarget)
