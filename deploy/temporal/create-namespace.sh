#!/bin/sh
# Creates the namespace the connector uses and registers its search attributes, so the Temporal UI can filter syncs by
# tenant and outcome (workflows/search-attributes.ts names them). Safe to re-run.
set -eu
NAMESPACE="${TEMPORAL_NAMESPACE:-default}"
ADDRESS="${TEMPORAL_ADDRESS:-temporal:7233}"

until temporal operator cluster health --address "$ADDRESS" >/dev/null 2>&1; do echo "waiting for Temporal at $ADDRESS"; sleep 2; done

temporal operator namespace describe --namespace "$NAMESPACE" --address "$ADDRESS" >/dev/null 2>&1 \
  || temporal operator namespace create --namespace "$NAMESPACE" --retention "${NAMESPACE_RETENTION:-7d}" --address "$ADDRESS"

for attribute in PeakonTenant PeakonSyncStatus; do
  if temporal operator search-attribute list --namespace "$NAMESPACE" --address "$ADDRESS" | grep -qw "$attribute"; then
    echo "search attribute $attribute already registered"
  else
    temporal operator search-attribute create --namespace "$NAMESPACE" --name "$attribute" --type Keyword --address "$ADDRESS"
  fi
done
echo "namespace $NAMESPACE is ready"
