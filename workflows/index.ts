// The workflows a worker registers. Deterministic code only: I/O happens in activities.
export { syncTenantWorkflow, syncProgressQuery } from './sync';
export { scheduledSyncWorkflow } from './scheduled';
export { syncPartitionWorkflow, partitionProgressQuery } from './partition';
export { employeeCreateWorkflow, employeeUpdateWorkflow } from './employee';
export { stretchableTenantLockWorkflow, tenantLockWorkflow } from './lock';
