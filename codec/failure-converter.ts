// Loaded by path (DataConverter.failureConverterPath) in the client, the worker and the workflow bundle: keep it free
// of Node built-ins and of anything but @temporalio/common.
import { DefaultFailureConverter } from '@temporalio/common';

/**
 * Failure messages and stack traces travel as an encoded payload, so the payload codec encrypts them like any other
 * data: an error message naming an employee's email would otherwise sit in history in plain text.
 */
export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
