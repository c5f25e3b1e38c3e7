/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The daemons under systemd (service.c): notifications to the service
 * manager and the KEK handed over as a credential.
 */
#ifndef CPNS_SERVICE_H
#define CPNS_SERVICE_H

/* sd_notify(@state), e.g. "READY=1"; nothing outside systemd. */
void cpns_service_notify(const char *state);

/*
 * If systemd passed the credential "kek" ($CREDENTIALS_DIRECTORY/kek), add
 * its bytes as the kernel key @type:@desc (the configuration's kek; a
 * logon or user key) to the session keyring and wipe the copy read. @type
 * NULL: the configuration names no kek, which is then an error.
 * Return: 0 (also when there is no such credential), or -1 after logging
 * why.
 */
int cpns_service_kek(const char *type, const char *desc);
/*
 * The same for the credential @cred, "seed-pairing" (seed_pairing_key) or
 * "pairing" (pairing_key), added as TYPE:DESC; type NULL: the
 * configuration names no such key (a credential is then refused).
 */
int cpns_service_pairing(const char *cred, const char *type, const char *desc);

#endif /* CPNS_SERVICE_H */
