/** Suppression of findings: `.sentraignore`, baselines and the exit policy, shared by scan and guard. */
export { applySuppressions, type SuppressionOptions, type SuppressionResult } from './apply.js'
export { failingFindings, failsAt } from './fail-on.js'
export { loadSuppressions, type LoadSuppressionOptions } from './load.js'
export { applyPolicy, type PolicyInput, type PolicyOutcome } from './policy.js'
