// HubSpot is moving to date-versioned paths (/crm/objects/2026-03/contacts) and
// retires v3 in September 2027: every contacts URL is built from this one constant.
export const CONTACTS_API_PATH = '/crm/v3/objects/contacts'
