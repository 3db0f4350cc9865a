// Workflows used only by the codec tests: an employee record in, the same record out, and a failure whose message
// carries personal data, so the tests can look for that data in the raw history.
import { ApplicationFailure, proxyActivities } from '@temporalio/workflow';

export interface CodecTestEmployee {
  email: string;
  givenName: string;
  dateOfBirth: string;
}

const { describeEmployee } = proxyActivities<{ describeEmployee(employee: CodecTestEmployee): Promise<string> }>({ startToCloseTimeout: '10 seconds' });

export async function echoEmployeeWorkflow(employee: CodecTestEmployee): Promise<string> {
  return await describeEmployee(employee);
}

export async function rejectEmployeeWorkflow(employee: CodecTestEmployee): Promise<never> {
  throw ApplicationFailure.nonRetryable(`employee ${employee.email} was rejected`, 'EmployeeRejected');
}
