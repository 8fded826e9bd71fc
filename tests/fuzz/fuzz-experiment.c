/*
 * fuzz-experiment.c - the experiment loader: the YAML parser (load.c),
 * ${...} expansion (expand.c, shell commands included), every check of
 * experiment.c and the inventory it names, then what a valid file goes
 * on to: the plan, and the fault journal's round trip. The journal's
 * oracle: a revert rebuilt from its spec must have the very values of
 * the call it undoes (issue 7, item 5); a difference aborts, which the
 * fuzzer reports as a crash.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver.h"
#include "experiment.h"
#include "fault.h"
#include "fuzz.h"
#include "node.h"
#include "plan.h"

/* Whether every scalar of b has the real value of a's (shell secrets
 * aside: their words are quoted piece by piece, to the same effect). */
static int
same_values(const struct hv_node *a, const struct hv_node *b)
{
	size_t	i;

	if (a == NULL || b == NULL)
		return a == b;
	if (a->kind == HV_NODE_SCALAR && b->kind == HV_NODE_SCALAR)
		return (a->shell && a->secret) || strcmp(a->str, b->str) == 0;
	if (a->kind == HV_NODE_NULL || b->kind == HV_NODE_NULL)
		return 1;
	if (a->kind != b->kind || a->n != b->n)
		return 0;
	for (i = 0; i < a->n; i++) {
		if (!same_values(a->items[i], a->kind == HV_NODE_MAP ?
		    hv_node_get(b, a->keys[i]->str) : b->items[i]))
			return 0;
	}
	return 1;
}

/* The faults of the method, journaled and rebuilt as a run would. */
static void
journal(struct hv_experiment *x, const struct hv_plan *p)
{
	const struct hv_targets	*t;
	const struct hv_step	*s;
	struct hv_revert	*r;
	struct hv_node		*with;
	struct hv_call		 call;
	struct hv_ctx		 ctx;
	struct hv_buf		 err = HV_BUF_INIT;
	char			*spec;
	size_t			 i;

	memset(&ctx, 0, sizeof ctx);
	ctx.exp = x;
	ctx.run_id = 1;
	for (i = 0; i < x->nmethod; i++) {
		s = &x->method[i];
		if (s->kind != HV_STEP_ACTION || s->driver == NULL ||
		    s->driver->revert == NULL)
			continue;
		t = hv_plan_targets(p, s);
		with = hv_plan_params(x, s, s->with, t->n > 0 ? t->hosts[0] :
		    NULL, &err);
		hv_buf_reset(&err);
		if (with == NULL)
			continue;
		hv_call_init(&call, s->driver, &ctx);
		call.with = with;
		call.host = t->n > 0 ? t->hosts[0] : NULL;
		call.tag = hv_xstrdup("havoc-r1-s1");
		call.dir = x->dir;
		if (hv_call_is_fault(&call)) {
			spec = hv_fault_spec(x, &call);
			r = hv_revert_new(&ctx, spec, &err);
			if (r != NULL && !same_values(with, r->call.with)) {
				fprintf(stderr, "the journal changed a value: "
				    "%s\n", spec);
				abort();
			}
			hv_revert_free(r);
			free(spec);
			hv_buf_reset(&err);
		}
		hv_call_release(&call);
		hv_node_free(with);
	}
	hv_buf_release(&err);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE		*devnull;
	struct hv_experiment	*x;
	struct hv_node		*doc;
	struct hv_diag		 d;
	struct hv_plan		 plan;
	struct hv_buf		 err = HV_BUF_INIT;
	const char		*path;

	hv_fuzz_init();
	if (devnull == NULL && (devnull = fopen("/dev/null", "w")) == NULL)
		abort();
	path = hv_fuzz_path("exp.yaml");
	hv_diag_init(&d);
	if ((doc = hv_yaml_parse(path, (const char *)data, size, &d)) == NULL)
		goto out;
	if ((x = hv_experiment_from_tree(path, doc, NULL, &d)) == NULL) {
		hv_node_free(doc);
		goto out;
	}
	if (hv_plan_make(x, 1, &plan, &err) == 0) {
		hv_plan_print(x, &plan, devnull);
		journal(x, &plan);
		hv_plan_release(&plan);
	}
	hv_experiment_free(x);
out:
	hv_diag_release(&d);
	hv_buf_release(&err);
	hv_fuzz_done();
	return 0;
}
