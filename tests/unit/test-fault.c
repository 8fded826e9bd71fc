/*
 * test-fault.c - revert specs (fault.c): what the fault journal keeps
 * before an injection, and the revert rebuilt from it, in a normal run
 * and in `havoc recover` (no experiment then).
 *
 * Experiments are loaded from YAML files and calls built the way the
 * runner builds them (hv_plan_params, hv_call_init). A rebuilt revert
 * must do exactly what the original call's revert would have done: the
 * same driver, parameters, host and SSH settings, tag and folder, with
 * secrets read again from the environment and files and never written
 * to the spec.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "driver.h"
#include "experiment.h"
#include "fault.h"
#include "node.h"
#include "plan.h"
#include "remote.h"
#include "ssh.h"
#include "util.h"

struct fixture {
	char			 dir[64];
	char			 file[96];
	struct hv_experiment	*x;
	struct hv_ctx		 ctx;
	struct hv_node		*with;
	struct hv_call		 call;
};

static int
setup(void **state)
{
	struct fixture	*f = calloc(1, sizeof *f);

	assert_non_null(f);
	snprintf(f->dir, sizeof f->dir, "/tmp/havoc-fault-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->file, sizeof f->file, "%s/x.yaml", f->dir);
	hv_log_level = HV_LOG_QUIET;
	alarm(20);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;
	char		 cmd[160];

	hv_call_release(&f->call);
	hv_node_free(f->with);
	hv_experiment_free(f->x);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	unsetenv("HV_FAULT_SECRET");
	unsetenv("HV_FAULT_SVC");
	hv_secrets_clear();
	alarm(0);
	return 0;
}

static void
write_file(const char *path, const char *text)
{
	FILE	*fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
}

/* Loads yaml as the experiment file of the fixture. */
static void
load(struct fixture *f, const char *yaml)
{
	struct hv_diag	d;

	write_file(f->file, yaml);
	hv_diag_init(&d);
	f->x = hv_experiment_load(f->file, NULL, &d);
	if (f->x == NULL)
		fail_msg("%s", d.text.s);
	hv_diag_release(&d);
	memset(&f->ctx, 0, sizeof f->ctx);
	f->ctx.exp = f->x;
	f->ctx.run_id = 12;
	f->ctx.dead_man_ms = 600000;
}

static const struct hv_host *
host_named(const struct hv_experiment *x, const char *name)
{
	const struct hv_host	*h = hv_inventory_find(x->inv, name);

	if (h == NULL)
		fail_msg("no host %s", name);
	return h;
}

/* The call of method step i on host (NULL: none), as the runner makes it. */
static struct hv_call *
make_call(struct fixture *f, size_t i, const char *host, const char *tag)
{
	const struct hv_step	*s = &f->x->method[i];
	const struct hv_host	*h = host != NULL ? host_named(f->x, host) :
	    NULL;
	struct hv_buf		 err = HV_BUF_INIT;

	f->with = hv_plan_params(f->x, s, s->with, h, &err);
	if (f->with == NULL)
		fail_msg("%s", err.s);
	hv_call_init(&f->call, s->driver, &f->ctx);
	f->call.host = h;
	f->call.dir = f->x->dir;
	f->call.tag = hv_xstrdup(tag);
	f->call.with = f->with;
	hv_buf_release(&err);
	return &f->call;
}

/* A driver's command for a call, or its error. */
static char *
command_of(const struct hv_call *call, int revert)
{
	struct hv_buf	b = HV_BUF_INIT, err = HV_BUF_INIT;

	if (call->driver->command(call, revert, &b, &err) == -1)
		fail_msg("command: %s", err.s);
	hv_buf_release(&err);
	return hv_buf_detach(&b);
}

static char *
describe_of(const struct hv_call *call, int revert)
{
	struct hv_buf	b = HV_BUF_INIT;

	hv_call_describe(call, revert, &b);
	return hv_buf_detach(&b);
}

static const char *
jstr(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static void
assert_same_str(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		assert_ptr_equal(a, b);
	else
		assert_string_equal(a, b);
}

/* Both calls would run and describe the same commands. */
static void
assert_same_work(const struct hv_call *a, const struct hv_call *b)
{
	char	*x, *y;
	int	 revert;

	for (revert = 0; revert <= 1; revert++) {
		x = command_of(a, revert);
		y = command_of(b, revert);
		assert_string_equal(x, y);
		free(x);
		free(y);
		x = describe_of(a, revert);
		y = describe_of(b, revert);
		assert_string_equal(x, y);
		free(x);
		free(y);
	}
}

#define INVENTORY							\
	"ssh:\n"							\
	"  user: root\n"						\
	"  identity: /keys/default\n"					\
	"  passphrase_env: HV_FAULT_PASS\n"				\
	"  trust_on_first_use: true\n"					\
	"  connect_timeout: 5s\n"					\
	"  command_timeout: 40s\n"					\
	"  keepalive: 7s\n"						\
	"hosts:\n"							\
	"  web-1:\n"							\
	"    address: 10.0.0.11\n"					\
	"    tags: [web, eu]\n"						\
	"    port: 2222\n"						\
	"    user: alice\n"						\
	"    identity: /keys/web1\n"					\
	"    known_hosts: /keys/known\n"				\
	"    agent: false\n"						\
	"    connect_timeout: 3s\n"					\
	"  web-2: {address: 10.0.0.12, tags: [web]}\n"			\
	"targets:\n"							\
	"  web: {tags: [web], pick: all}\n"

/* What a revert aims at, with the experiment and without (recover). */
static void
assert_same_target(const struct hv_experiment *x, const struct hv_host *h,
    const struct hv_host *rebuilt)
{
	struct hv_ctx		with_exp, without;
	struct hv_ssh_target	a, b;

	memset(&with_exp, 0, sizeof with_exp);
	memset(&without, 0, sizeof without);
	with_exp.exp = x;
	hv_remote_target(&with_exp, h, &a);
	hv_remote_target(&without, rebuilt, &b);
	assert_same_str(a.name, b.name);
	assert_same_str(a.address, b.address);
	assert_int_equal(a.port, b.port);
	assert_same_str(a.user, b.user);
	assert_same_str(a.identity, b.identity);
	assert_same_str(a.passphrase_env, b.passphrase_env);
	assert_same_str(a.known_hosts, b.known_hosts);
	assert_int_equal(a.agent, b.agent);
	assert_int_equal(a.tofu, b.tofu);
	assert_int_equal(a.connect_timeout_ms, b.connect_timeout_ms);
	assert_int_equal(a.keepalive_ms, b.keepalive_ms);
}

static void
test_round_trip(void **state)
{
	struct fixture		*f = *state;
	struct hv_call		*call;
	struct hv_revert	*r;
	struct hv_buf		 err = HV_BUF_INIT;
	json_t			*j, *h, *tags;
	json_error_t		 jerr;
	char			*spec;

	load(f, INVENTORY
	    "method:\n"
	    "  - action: shell.run\n"
	    "    on: web\n"
	    "    with:\n"
	    "      command: touch /tmp/x-${target.name}\n"
	    "      revert: rm -f /tmp/x-${target.name} \"$$HOME\" $${HOME}\n"
	    "      timeout: 9s\n");
	call = make_call(f, 0, "web-1", "havoc-r12-abc123-s3");
	spec = hv_fault_spec(f->x, call);

	/* The spec, as JSON. */
	j = json_loads(spec, 0, &jerr);
	assert_non_null(j);
	assert_string_equal(jstr(j, "driver"), "shell.run");
	assert_string_equal(jstr(j, "tag"), "havoc-r12-abc123-s3");
	assert_string_equal(jstr(j, "dir"), f->dir);
	/*
	 * A shell value reads ${...} from a variable; a literal "${" is
	 * spelled "$${" in the journal, so that it stays literal.
	 */
	assert_string_equal(jstr(json_object_get(j, "with"), "revert"),
	    "hv_target_name=web-1; rm -f /tmp/x-\"$hv_target_name\" "
	    "\"$HOME\" $${HOME}");
	assert_string_equal(jstr(json_object_get(j, "with"), "timeout"), "9s");
	h = json_object_get(j, "host");
	assert_string_equal(jstr(h, "name"), "web-1");
	assert_string_equal(jstr(h, "address"), "10.0.0.11");
	assert_string_equal(jstr(h, "user"), "alice");
	assert_string_equal(jstr(h, "identity"), "/keys/web1");
	assert_string_equal(jstr(h, "known_hosts"), "/keys/known");
	/* Defaults of the experiment are part of the host's settings. */
	assert_string_equal(jstr(h, "passphrase_env"), "HV_FAULT_PASS");
	assert_int_equal(json_integer_value(json_object_get(h, "port")), 2222);
	assert_true(json_is_false(json_object_get(h, "agent")));
	assert_true(json_is_true(json_object_get(h, "tofu")));
	assert_int_equal(json_integer_value(json_object_get(h,
	    "connect_timeout_ms")), 3000);
	assert_int_equal(json_integer_value(json_object_get(h,
	    "command_timeout_ms")), 40000);
	tags = json_object_get(h, "tags");
	assert_int_equal(json_array_size(tags), 2);
	assert_string_equal(json_string_value(json_array_get(tags, 1)), "eu");
	json_decref(j);

	/* Rebuilt in a normal run (the experiment is there). */
	r = hv_revert_new(&f->ctx, spec, &err);
	if (r == NULL)
		fail_msg("%s", err.s);
	assert_int_equal(err.len, 0);
	assert_ptr_equal(r->call.driver, call->driver);
	assert_ptr_equal(r->call.ctx, &f->ctx);
	assert_string_equal(r->call.tag, "havoc-r12-abc123-s3");
	assert_string_equal(r->call.dir, f->dir);
	assert_true(r->call.reverting);
	assert_true(r->has_host);
	assert_ptr_equal(r->call.host, &r->host);
	assert_string_equal(r->target, "web-1");
	assert_string_equal(r->host.address, "10.0.0.11");
	assert_int_equal(r->host.ntags, 2);
	assert_string_equal(r->host.tags[0], "web");
	assert_int_equal(r->host.ssh.port, 2222);
	assert_int_equal(r->host.ssh.agent, 0);
	assert_int_equal(r->host.ssh.tofu, 1);
	assert_int_equal(r->host.ssh.command_timeout_ms, 40000);
	assert_int_equal(hv_arg_ms(&r->call, "timeout"), 9000);
	assert_true(hv_call_is_fault(&r->call));
	assert_same_work(call, &r->call);
	assert_same_target(f->x, call->host, &r->host);
	hv_revert_free(r);

	/* And in havoc recover: no experiment, the spec is all there is. */
	f->ctx.exp = NULL;
	r = hv_revert_new(&f->ctx, spec, &err);
	assert_non_null(r);
	assert_same_work(call, &r->call);
	assert_same_target(f->x, call->host, &r->host);
	hv_revert_free(r);
	free(spec);

	/* A host with the experiment's defaults only. */
	hv_call_release(&f->call);
	hv_node_free(f->with);
	f->ctx.exp = f->x;
	call = make_call(f, 0, "web-2", "havoc-r12-abc123-s4");
	spec = hv_fault_spec(f->x, call);
	f->ctx.exp = NULL;
	r = hv_revert_new(&f->ctx, spec, &err);
	assert_non_null(r);
	assert_string_equal(r->host.ssh.user, "root");
	assert_string_equal(r->host.ssh.identity, "/keys/default");
	assert_null(r->host.ssh.known_hosts);
	assert_int_equal(r->host.ssh.port, 0);
	assert_int_equal(r->host.ssh.agent, -1);
	assert_same_work(call, &r->call);
	assert_same_target(f->x, call->host, &r->host);
	hv_revert_free(r);
	free(spec);
	hv_buf_release(&err);
	hv_revert_free(NULL);
}

/* An untargeted driver: no host in the spec, none rebuilt. */
static void
test_round_trip_no_host(void **state)
{
	struct fixture		*f = *state;
	struct hv_call		*call;
	struct hv_revert	*r;
	struct hv_buf		 err = HV_BUF_INIT;
	char			*spec;
	json_t			*j;

	load(f, "method:\n"
	    "  - action: local.run\n"
	    "    with:\n"
	    "      command: [touch, mark]\n"
	    "      revert: [rm, -f, mark]\n"
	    "      cwd: sub\n");
	call = make_call(f, 0, NULL, "havoc-r1-aaaaaa-s1");
	spec = hv_fault_spec(f->x, call);
	j = json_loads(spec, 0, NULL);
	assert_non_null(j);
	assert_null(json_object_get(j, "host"));
	assert_int_equal(json_array_size(json_object_get(json_object_get(j,
	    "with"), "revert")), 3);
	json_decref(j);
	r = hv_revert_new(&f->ctx, spec, &err);
	assert_non_null(r);
	assert_false(r->has_host);
	assert_null(r->call.host);
	assert_null(r->target);
	{
		char	**a = hv_arg_argv(call, "revert");
		char	**b = hv_arg_argv(&r->call, "revert");
		char	 *pa = hv_arg_path(call, "cwd");
		char	 *pb = hv_arg_path(&r->call, "cwd");
		size_t	  i;

		for (i = 0; a[i] != NULL || b[i] != NULL; i++)
			assert_same_str(a[i], b[i]);
		assert_int_equal(i, 3);
		assert_string_equal(pa, pb);
		free(a);
		free(b);
		free(pa);
		free(pb);
	}
	hv_revert_free(r);
	free(spec);
	hv_buf_release(&err);
}

/* ${env.X}: the spec keeps the reference; the rebuild reads it again. */
static void
test_env_secret(void **state)
{
	struct fixture		*f = *state;
	struct hv_call		*call;
	struct hv_revert	*r;
	struct hv_buf		 err = HV_BUF_INIT;
	char			*spec, *desc;

	setenv("HV_FAULT_SVC", "svc-7f3a9", 1);
	load(f, INVENTORY
	    "method:\n"
	    "  - action: service.stop\n"
	    "    on: web\n"
	    "    with: {name: \"${env.HV_FAULT_SVC}\"}\n");
	call = make_call(f, 0, "web-2", "havoc-r12-abc123-s1");
	assert_string_equal(hv_arg_str(call, "name"), "svc-7f3a9");
	spec = hv_fault_spec(f->x, call);
	assert_null(strstr(spec, "svc-7f3a9"));
	assert_non_null(strstr(spec, "${env.HV_FAULT_SVC}"));

	r = hv_revert_new(&f->ctx, spec, &err);
	assert_non_null(r);
	assert_same_work(call, &r->call);
	/* Shown spellings keep the reference. */
	desc = describe_of(&r->call, 1);
	assert_null(strstr(desc, "svc-7f3a9"));
	free(desc);
	hv_revert_free(r);

	/* Read again: the value of now, not of the spec's time. */
	setenv("HV_FAULT_SVC", "svc-other", 1);
	r = hv_revert_new(&f->ctx, spec, &err);
	assert_non_null(r);
	assert_string_equal(hv_arg_str(&r->call, "name"), "svc-other");
	hv_revert_free(r);

	/* Unset: no revert, and an error that says why. */
	unsetenv("HV_FAULT_SVC");
	assert_null(hv_revert_new(&f->ctx, spec, &err));
	assert_string_equal(err.s, "environment variable HV_FAULT_SVC is not "
	    "set");
	free(spec);
	hv_buf_release(&err);
}

/* ${file:rel}: relative to the experiment's folder, not to the cwd. */
static void
test_file_secret(void **state)
{
	struct fixture		*f = *state;
	struct hv_call		*call;
	struct hv_revert	*r;
	struct hv_buf		 err = HV_BUF_INIT;
	char			 path[128], *spec;

	snprintf(path, sizeof path, "%s/svc-name", f->dir);
	write_file(path, "svc-from-file\n");
	load(f, INVENTORY
	    "method:\n"
	    "  - action: service.stop\n"
	    "    on: web\n"
	    "    with: {name: \"${file:svc-name}\"}\n");
	call = make_call(f, 0, "web-1", "havoc-r12-abc123-s2");
	spec = hv_fault_spec(f->x, call);
	assert_null(strstr(spec, "svc-from-file"));
	assert_non_null(strstr(spec, "${file:svc-name}"));
	r = hv_revert_new(&f->ctx, spec, &err);
	if (r == NULL)
		fail_msg("%s", err.s);
	assert_string_equal(hv_arg_str(&r->call, "name"), "svc-from-file");
	assert_same_work(call, &r->call);
	hv_revert_free(r);

	/* Gone: an error naming the reference, never a content. */
	assert_int_equal(unlink(path), 0);
	assert_null(hv_revert_new(&f->ctx, spec, &err));
	assert_non_null(strstr(err.s, "${file:svc-name}"));
	free(spec);
	hv_buf_release(&err);
}

/* Runs a command with sh; its standard output, new. */
static char *
sh_output(const char *cmd)
{
	struct hv_buf	 b = HV_BUF_INIT;
	char		 buf[256];
	size_t		 n;
	FILE		*fp = popen(cmd, "r");

	assert_non_null(fp);
	while ((n = fread(buf, 1, sizeof buf, fp)) > 0)
		hv_buf_add(&b, buf, n);
	assert_int_equal(pclose(fp), 0);
	return hv_buf_detach(&b);
}

#define HOSTILE	"a  b'; touch /tmp/havoc-pwned-fault #"

/*
 * A shell-typed parameter: each secret value is one quoted word when the
 * revert is rebuilt, as it was when the fault was injected, also inside
 * a variable that mixes text and a secret.
 */
static void
test_shell_secret_quoted(void **state)
{
	struct fixture		*f = *state;
	struct hv_call		*call;
	struct hv_revert	*r;
	struct hv_buf		 err = HV_BUF_INIT;
	char			*spec, *a, *b, *out;

	unlink("/tmp/havoc-pwned-fault");
	setenv("HV_FAULT_SECRET", HOSTILE, 1);
	load(f, INVENTORY
	    "vars:\n"
	    "  greeting: \"hello ${env.HV_FAULT_SECRET}\"\n"
	    "  plain: \"x y\"\n"
	    "method:\n"
	    "  - action: shell.run\n"
	    "    on: web\n"
	    "    with:\n"
	    "      command: \"printf '[%s]' ${env.HV_FAULT_SECRET}\"\n"
	    "      revert: \"printf '[%s]' ${env.HV_FAULT_SECRET} "
	    "${greeting} ${plain}\"\n");
	call = make_call(f, 0, "web-1", "havoc-r12-abc123-s5");
	spec = hv_fault_spec(f->x, call);
	assert_null(strstr(spec, "touch"));
	r = hv_revert_new(&f->ctx, spec, &err);
	if (r == NULL)
		fail_msg("%s", err.s);

	a = command_of(call, 0);
	b = command_of(&r->call, 0);
	assert_string_equal(a, b);
	free(a);
	free(b);
	/* What the revert runs, then and now, with sh. */
	a = command_of(call, 1);
	b = command_of(&r->call, 1);
	out = sh_output(a);
	assert_string_equal(out, "[" HOSTILE "][hello " HOSTILE "][x y]");
	free(out);
	out = sh_output(b);
	assert_string_equal(out, "[" HOSTILE "][hello " HOSTILE "][x y]");
	free(out);
	free(a);
	free(b);
	assert_int_equal(access("/tmp/havoc-pwned-fault", F_OK), -1);

	/* The value is set by a prefix, the command reads the variable. */
	assert_string_equal(hv_arg_str(&r->call, "command"),
	    "hv_env_HV_FAULT_SECRET='a  b'\\''; touch "
	    "/tmp/havoc-pwned-fault #'; printf '[%s]' "
	    "\"$hv_env_HV_FAULT_SECRET\"");
	hv_revert_free(r);
	free(spec);
	hv_buf_release(&err);
}

static void
test_bad_specs(void **state)
{
	struct fixture		*f = *state;
	struct hv_buf		 err = HV_BUF_INIT;
	static const struct {
		const char	*spec;
		const char	*msg;
	} bad[] = {
		{ "{\"driver\": \"no.such\", \"with\": {}}",
		    "revert spec names no driver that can revert "
		    "(\"no.such\")" },
		/* No revert: a probe, and an action that is never a fault. */
		{ "{\"driver\": \"http\", \"with\": {}}",
		    "revert spec names no driver that can revert (\"http\")" },
		{ "{\"driver\": \"service.start\", \"with\": {}}",
		    "revert spec names no driver that can revert "
		    "(\"service.start\")" },
		{ "{\"with\": {}}",
		    "revert spec names no driver that can revert (\"\")" },
		{ "{\"driver\": 7}",
		    "revert spec names no driver that can revert (\"\")" },
		{ "[\"shell.run\"]",
		    "revert spec names no driver that can revert (\"\")" },
		{ "{\"driver\": \"shell.run\", \"with\": {\"revert\": "
		    "\"echo ${env.HV_FAULT_UNSET}\"}}",
		    "environment variable HV_FAULT_UNSET is not set" },
	};
	static const char *const malformed[] = {
		"", "{", "{\"driver\": \"shell.run\",}", "not json", "null",
	};
	size_t	i;

	(void)f;
	unsetenv("HV_FAULT_UNSET");
	for (i = 0; i < HV_ARRAY_LEN(bad); i++) {
		hv_buf_reset(&err);
		if (hv_revert_new(&f->ctx, bad[i].spec, &err) != NULL)
			fail_msg("accepted %s", bad[i].spec);
		assert_string_equal(err.s, bad[i].msg);
	}
	for (i = 0; i < HV_ARRAY_LEN(malformed); i++) {
		hv_buf_reset(&err);
		if (hv_revert_new(&f->ctx, malformed[i], &err) != NULL)
			fail_msg("accepted %s", malformed[i]);
		if (strncmp(err.s, "bad revert spec: ", 17) != 0 &&
		    strncmp(err.s, "revert spec names", 17) != 0)
			fail_msg("%s: %s", malformed[i], err.s);
	}
	hv_buf_release(&err);
}

/*
 * A journal is input: a spec damaged in the store (fields missing or of
 * the wrong type) gives an error or a revert, never a crash.
 */
static void
test_damaged_specs(void **state)
{
	struct fixture		*f = *state;
	struct hv_buf		 err = HV_BUF_INIT;
	struct hv_revert	*r;
	static const char *const specs[] = {
		"{\"driver\": \"shell.run\"}",
		"{\"driver\": \"shell.run\", \"with\": null}",
		"{\"driver\": \"shell.run\", \"with\": \"rm -rf /\"}",
		"{\"driver\": \"shell.run\", \"with\": [1, true, {}]}",
		"{\"driver\": \"shell.run\", \"with\": {\"revert\": 5}, "
		    "\"tag\": 3, \"dir\": [], \"host\": {\"tags\": \"web\", "
		    "\"port\": \"22\", \"name\": 1}}",
		"{\"driver\": \"shell.run\", \"with\": {}, \"host\": []}",
	};
	size_t	i;
	char	*cmd;

	(void)f;
	memset(&f->ctx, 0, sizeof f->ctx);
	for (i = 0; i < HV_ARRAY_LEN(specs); i++) {
		hv_buf_reset(&err);
		r = hv_revert_new(&f->ctx, specs[i], &err);
		if (r == NULL) {
			assert_true(err.len > 0);
			continue;
		}
		/* Whatever it rebuilt answers the accessors. */
		(void)hv_arg_str(&r->call, "revert");
		(void)hv_arg_ms(&r->call, "timeout");
		if (r->has_host) {
			assert_non_null(r->host.name);
			assert_non_null(r->host.address);
		}
		cmd = describe_of(&r->call, 1);
		free(cmd);
		hv_revert_free(r);
	}
	hv_buf_release(&err);
}

/*
 * Every scalar of the rebuilt tree has the real value the original had:
 * strings, list items and map values alike. A failure names the path.
 */
static void
assert_same_values(const struct hv_node *a, const struct hv_node *b,
    const char *path)
{
	char	sub[256];
	size_t	i;

	if (a == NULL || b == NULL)
		fail_msg("%s: one side has no value", path);
	if (a->kind != b->kind)
		fail_msg("%s: %s became %s", path, hv_node_kind_name(a),
		    hv_node_kind_name(b));
	if (a->kind == HV_NODE_SCALAR && strcmp(a->str, b->str) != 0)
		fail_msg("%s: \"%s\" became \"%s\" on the way through the "
		    "journal", path, a->str, b->str);
	if (a->n != b->n)
		fail_msg("%s: %zu items became %zu", path, a->n, b->n);
	for (i = 0; i < a->n; i++) {
		if (a->kind == HV_NODE_MAP)
			snprintf(sub, sizeof sub, "%s.%s", path,
			    a->keys[i]->str);
		else
			snprintf(sub, sizeof sub, "%s[%zu]", path, i);
		assert_same_values(a->items[i], a->kind == HV_NODE_MAP ?
		    hv_node_get(b, a->keys[i]->str) : b->items[i], sub);
	}
}

/*
 * Escapes survive the journal (issue 7, item 5): $${env.HOME} injected
 * the text ${env.HOME}, but the revert rebuilt from the journal ran with
 * /root. For every kind of parameter (a string, a list's items, a map's
 * values, a shell command), with $$, $${env.X}, $${file:X}, a '$' next
 * to a secret, and secrets themselves, the rebuilt revert has exactly
 * the values of the original call, and the spec holds no secret.
 */
static void
test_escapes_round_trip(void **state)
{
	struct fixture		*f = *state;
	struct hv_call		*call;
	struct hv_revert	*r;
	struct hv_buf		 err = HV_BUF_INIT;
	char			 path[128];
	char			*spec;
	size_t			 i;

	setenv("HV_FAULT_SECRET", "s3cr3t-value", 1);
	setenv("HV_FAULT_SVC", "nginx", 1);
	snprintf(path, sizeof path, "%s/key.txt", f->dir);
	write_file(path, "file-s3cr3t\n");
#define ESCAPES									"\"$$\", \"$$$$\", \"$\", \"a$\", \"$$${env.HV_FAULT_SECRET}\",	\
	\"$${env.HOME}\", \"$${file:key.txt}\", \"${env.HV_FAULT_SECRET}\",	\
	\"$${HOME}$$\", \"x$$${file:key.txt}$${y}\", \"${file:key.txt}$\",	\
	\"$${env.HV_FAULT_SECRET}${env.HV_FAULT_SECRET}$\", \"${mixed}\",	\
	\"$$${mixed}$$\", \"${lit}\""
	load(f, INVENTORY
	    "vars:\n"
	    "  mixed: \"[$${env.HOME}|${env.HV_FAULT_SECRET}|$$]\"\n"
	    "  lit: \"$${file:key.txt} $$ $\"\n"
	    "method:\n"
	    "  - action: local.run\n"
	    "    with:\n"
	    "      command: [true, " ESCAPES "]\n"
	    "      revert: [true, " ESCAPES "]\n"
	    "      input: \"$${env.HOME} ${env.HV_FAULT_SVC} $$HOME\"\n"
	    "  - action: http.request\n"
	    "    with:\n"
	    "      url: \"http://127.0.0.1:1/$${env.HOME}\"\n"
	    "      revert_url: \"http://127.0.0.1:1/${env.HV_FAULT_SVC}/"
	    "$${env.HV_FAULT_SVC}/$$\"\n"
	    "      revert_body: \"$${file:key.txt}${file:key.txt}\"\n"
	    "      headers: {X-A: \"$${env.HOME}\", X-B: "
	    "\"${env.HV_FAULT_SECRET}$\", X-C: \"${mixed}\"}\n"
	    "  - action: shell.run\n"
	    "    on: web\n"
	    "    with:\n"
	    "      command: \"printf %s ${env.HV_FAULT_SECRET} $${env.HOME}\"\n"
	    "      revert: \"printf '%s\\\\n' '$${env.HOME}' $$HOME "
	    "${env.HV_FAULT_SECRET} ${file:key.txt} x${lit}$$ \"\n");
#undef ESCAPES
	for (i = 0; i < 3; i++) {
		call = make_call(f, i, i == 2 ? "web-1" : NULL, "havoc-r1-s1");
		spec = hv_fault_spec(f->x, call);
		if (strstr(spec, "s3cr3t") != NULL)
			fail_msg("a secret in the journal: %s", spec);
		r = hv_revert_new(&f->ctx, spec, &err);
		if (r == NULL)
			fail_msg("%s", err.s);
		assert_same_values(call->with, r->call.with, "with");
		/* In recover, without the experiment, just the same. */
		hv_revert_free(r);
		f->ctx.exp = NULL;
		r = hv_revert_new(&f->ctx, spec, &err);
		assert_non_null(r);
		assert_same_values(call->with, r->call.with, "with");
		f->ctx.exp = f->x;
		hv_revert_free(r);
		free(spec);
		hv_call_release(&f->call);
		memset(&f->call, 0, sizeof f->call);
		hv_node_free(f->with);
		f->with = NULL;
	}
	/* The values themselves: the text, not the environment's. */
	call = make_call(f, 0, NULL, "havoc-r1-s1");
	assert_string_equal(hv_node_get(call->with, "revert")->items[6]->str,
	    "${env.HOME}");
	assert_string_equal(hv_node_get(call->with, "revert")->items[5]->str,
	    "$s3cr3t-value");
	assert_string_equal(hv_node_get(call->with, "revert")->items[13]->str,
	    "[${env.HOME}|s3cr3t-value|$]");
	hv_buf_release(&err);
}

#define T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_round_trip),
		T(test_round_trip_no_host),
		T(test_env_secret),
		T(test_file_secret),
		T(test_shell_secret_quoted),
		T(test_escapes_round_trip),
		T(test_bad_specs),
		T(test_damaged_specs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
