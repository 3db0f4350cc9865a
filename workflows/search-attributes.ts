import { defineSearchAttributeKey } from '@temporalio/common';

/** Shown in the Temporal UI's workflow list so a person sees tenant and outcome at a glance. Registered by the dev server. */
export const TENANT_SEARCH_ATTRIBUTE = defineSearchAttributeKey('PeakonTenant', 'KEYWORD');
export const SYNC_STATUS_SEARCH_ATTRIBUTE = defineSearchAttributeKey('PeakonSyncStatus', 'KEYWORD');

export const SEARCH_ATTRIBUTE_KEYS = [TENANT_SEARCH_ATTRIBUTE, SYNC_STATUS_SEARCH_ATTRIBUTE] as const;

/** The search attributes a sync run starts with (a manual sync, a schedule's runs): its tenant, and `running`. */
export function runStartSearchAttributes(tenant: string) {
  return [
    { key: TENANT_SEARCH_ATTRIBUTE, value: tenant },
    { key: SYNC_STATUS_SEARCH_ATTRIBUTE, value: 'running' },
  ];
}
