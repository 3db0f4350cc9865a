// No zod and no Node imports here: workflow code imports these constants, and the workflow bundle re-evaluates
// every module it reaches for each new workflow execution (a per-employee child pays for every import).

/** SCIM schema URNs Peakon uses (RFC 7643 core + enterprise, and Peakon's own extension). */
export const CORE_USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const ENTERPRISE_USER_SCHEMA = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const PEAKON_USER_SCHEMA = 'urn:ietf:params:scim:schemas:extension:peakon:2.0:User';
export const LIST_RESPONSE_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';
export const PATCH_OP_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

/** The filter path of the enterprise employee number, as Peakon's connector guide writes it. */
export const EMPLOYEE_NUMBER_PATH = `${ENTERPRISE_USER_SCHEMA}:employeeNumber`;
