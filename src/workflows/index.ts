// Every workflow the worker registers. Workflow code runs in Temporal's deterministic sandbox:
// no I/O and no Node or service imports here, only @temporalio/workflow and types.
export { auditStore, scheduledAudit } from './auditStore';
export { cloneBatch } from './cloneBatch';
export { importData } from './importData';
export { localClone } from './localClone';
export { receiveClone, tellSource } from './receiveClone';
export { repairInstance } from './repairInstance';
export { deleteInstance, rollingDeletion } from './rollingDeletion';
export { sendClones } from './sendClones';
export { sneakernetIngest } from './sneakernetIngest';
export { sneakernetTrip } from './sneakernetTrip';
export { storeHealthCheck } from './storeHealthCheck';
export { upload } from './upload';
export { validateFile } from './validateFile';
