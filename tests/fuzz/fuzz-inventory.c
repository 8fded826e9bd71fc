/*
 * fuzz-inventory.c - the inventory loader (inventory.c): a file of
 * hosts and SSH settings, with ${...} expanded, as `inventory: FILE`
 * reads it. The input is written to a file first, as the loader reads
 * files (and a file is what a user hands it).
 */
#include <string.h>

#include "expand.h"
#include "experiment.h"
#include "fuzz.h"
#include "inventory.h"
#include "node.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct hv_var	 vars[] = {
		{ "net", "10.0.0", "10.0.0", 0, 0, 0 },
		{ "user", "root", "root", 0, 0, 0 },
	};
	struct hv_inventory	*inv;
	struct hv_expand	 ex;
	struct hv_ssh_opts	 o, defaults;
	struct hv_diag		 d;
	const char		*path;
	size_t			 i, budget = HV_EXPAND_BUDGET;

	hv_fuzz_init();
	path = hv_fuzz_path("inv.yaml");
	hv_fuzz_write(path, data, size);
	memset(&ex, 0, sizeof ex);
	ex.vars = vars;
	ex.nvars = HV_ARRAY_LEN(vars);
	ex.budget = &budget;
	hv_diag_init(&d);
	if ((inv = hv_inventory_load(path, &ex, &d)) != NULL) {
		hv_ssh_opts_init(&defaults);
		for (i = 0; i < inv->nhosts; i++) {
			hv_inventory_ssh_for(inv, &defaults, inv->hosts[i],
			    &o);
			(void)hv_inventory_find(inv, inv->hosts[i]->name);
		}
		hv_inventory_free(inv);
	}
	hv_diag_release(&d);
	hv_fuzz_done();
	return 0;
}
