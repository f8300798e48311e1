/* The card agency: the registry of card agents and the choice of one for
 * a card (agent.h). Order matters: agents that recognise a card by its
 * ATR alone come first, probing agents after. */
#include <stdio.h>
#include <string.h>

#include "scmgr/agent.h"

const struct scm_agent_ops *const scm_agents[] = {
    &scm_agent_iso7816,
    &scm_agent_piv,
    &scm_agent_cac, /* after PIV: a CAC card with a PIV applet is read as PIV */
    &scm_agent_openpgp,
    &scm_agent_pkcs15, /* last: a PKCS#15 directory may sit beside the others' applications */
    NULL,
};

int scm_agency_pick(struct scm_tx *tx, const uint8_t *atr, size_t atr_len,
                    const struct scm_agent_ops **out, struct scm_detail *d)
{
    *out = NULL;
    for (size_t i = 0; scm_agents[i]; i++) {
        if (scm_agents[i]->match_atr && scm_agents[i]->match_atr(atr, atr_len) == 1) {
            *out = scm_agents[i];
            return SCM_OK;
        }
    }
    for (size_t i = 0; scm_agents[i]; i++) {
        if (!scm_agents[i]->probe)
            continue;
        int rc = scm_agents[i]->probe(tx);
        if (rc < 0)
            return scm_fail_because(d, rc, "Asking the card which kind it is failed");
        if (rc == 1) {
            *out = scm_agents[i];
            return SCM_OK;
        }
    }
    return scm_fail(d, SCM_E_NO_AGENT,
                    "No card agent recognises this card; a blank ISO 7816-4 "
                    "card can be prepared with 'scmgr card init'.");
}

const struct scm_agent_ops *scm_agency_by_name(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; scm_agents[i]; i++)
        if (strcmp(scm_agents[i]->name, name) == 0)
            return scm_agents[i];
    return NULL;
}
