/*
 * test-cloud.c - cloud targets and the AWS drivers, through the real
 * runner, store and AWS client, against a small stateful EC2 and Auto
 * Scaling in the test's own HTTP server (tests/unit/httpd.c). It speaks
 * the Query API as AWS documents it (form POSTs in, the XML shapes of the
 * API references out) and keeps a log of the actions that change
 * something, which the tests read back: what was terminated, in how many
 * requests, and what was not touched. The lab suite (tests-cloud.sh) does
 * the same against moto with real hosts; here it is fast and exact.
 *
 * The fake's world: group "web" (desired 3) of i-00000001..3 at
 * 10.9.0.1..3 on ami-1, its launch template "web" $Latest giving ami-2;
 * i-00000009 (Role=lone) in no group, with a forged group tag. A
 * replacement gets the address 127.0.0.1 (so that healthy_when can reach
 * a server of the test) and is InService at once, or never (scenario
 * "pending").
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <netinet/in.h>

#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "cloud.h"
#include "driver.h"
#include "experiment.h"
#include "fault.h"
#include "httpd.h"
#include "loop.h"
#include "node.h"
#include "plan.h"
#include "runner.h"
#include "store.h"
#include "util.h"

#define AKID	"AKIAIOSFODNN7EXAMPLE"
#define SECRET	"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

static struct httpd	aws, web;

/* ---- the fake's world, in the server process ---------------------------- */

struct inst {
	char	id[16];
	char	state[16];
	char	ip[16];
	char	image[16];
	char	asg[8];		/* "" for none */
	char	lifecycle[16];
	char	role[8];
};

static struct inst	world[64];
static int		nworld;
static int		next_id;
static char		actlog[8192];	/* "TerminateInstances i-1,i-2\n" */
static int		pending;	/* replacements never InService */
static int		requests;	/* every POST since the reset */

static void
world_reset(void)
{
	int	i;

	memset(world, 0, sizeof world);
	nworld = 0;
	for (i = 1; i <= 3; i++) {
		snprintf(world[nworld].id, sizeof world[nworld].id,
		    "i-%08d", i);
		snprintf(world[nworld].ip, sizeof world[nworld].ip,
		    "10.9.0.%d", i);
		snprintf(world[nworld].state, 16, "running");
		snprintf(world[nworld].image, 16, "ami-1");
		snprintf(world[nworld].asg, 8, "web");
		snprintf(world[nworld].lifecycle, 16, "InService");
		snprintf(world[nworld].role, 8, "web");
		nworld++;
	}
	snprintf(world[nworld].id, 16, "i-00000009");
	snprintf(world[nworld].ip, 16, "10.9.0.9");
	snprintf(world[nworld].state, 16, "running");
	snprintf(world[nworld].image, 16, "ami-1");
	snprintf(world[nworld].role, 8, "lone");
	nworld++;
	next_id = 100;
	actlog[0] = '\0';
	pending = 0;
	requests = 0;
}

static void
logf_(const char *fmt, ...)
{
	size_t	n = strlen(actlog);
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(actlog + n, sizeof actlog - n, fmt, ap);
	va_end(ap);
}

static struct inst *
find(const char *id)
{
	int	i;

	for (i = 0; i < nworld; i++) {
		if (strcmp(world[i].id, id) == 0)
			return &world[i];
	}
	return NULL;
}

/* A form parameter of the body, decoded, into out; NULL when absent. */
static const char *
param(const char *body, const char *name, char *out, size_t len)
{
	const char	*p = body;
	size_t		 n = strlen(name), k = 0;
	unsigned	 c;

	while (p != NULL && *p != '\0') {
		if (strncmp(p, name, n) == 0 && p[n] == '=') {
			for (p += n + 1; *p != '\0' && *p != '&' &&
			    k + 1 < len; p++) {
				if (*p == '%' && sscanf(p + 1, "%2x", &c) ==
				    1) {
					out[k++] = (char)c;
					p += 2;
				} else
					out[k++] = *p == '+' ? ' ' : *p;
			}
			out[k] = '\0';
			return out;
		}
		if ((p = strchr(p, '&')) != NULL)
			p++;
	}
	return NULL;
}

/* The values of NAME.1, NAME.2, ... (prefix "InstanceId"). */
static int
list(const char *body, const char *prefix, char v[][32], int max)
{
	char	name[64];
	int	n;

	for (n = 0; n < max; n++) {
		snprintf(name, sizeof name, "%s.%d", prefix, n + 1);
		if (param(body, name, v[n], 32) == NULL)
			break;
	}
	return n;
}

struct out {
	char	s[32768];
	size_t	n;
};

static void
put(struct out *o, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(o->s + o->n, sizeof o->s - o->n, fmt, ap);
	va_end(ap);
	o->n = strlen(o->s);
}

static void
reply(int fd, const struct out *o)
{
	httpd_respond(fd, 200, "Content-Type: text/xml\r\n", o->s, o->n);
}

static void
error(int fd, const char *code, const char *msg)
{
	struct out	o = { "", 0 };

	put(&o, "<Response><Errors><Error><Code>%s</Code><Message>%s"
	    "</Message></Error></Errors></Response>", code, msg);
	httpd_respond(fd, 400, "Content-Type: text/xml\r\n", o.s, o.n);
}

static void
item(struct out *o, const struct inst *in)
{
	put(o, "<item><instanceId>%s</instanceId><imageId>%s</imageId>"
	    "<instanceState><name>%s</name></instanceState>"
	    "<privateIpAddress>%s</privateIpAddress><tagSet>"
	    "<item><key>Role</key><value>%s</value></item>", in->id,
	    in->image, in->state, in->ip, in->role);
	/* The lone one lies about its group: Auto Scaling knows better. */
	if (in->asg[0] != '\0' || strcmp(in->role, "lone") == 0)
		put(o, "<item><key>aws:autoscaling:groupName</key>"
		    "<value>web</value></item>");
	put(o, "</tagSet></item>");
}

/* Whether in passes DescribeInstances' filters and ids. */
static int
selected(const char *body, const struct inst *in)
{
	char	name[64], v[32], ids[64][32];
	int	i, j, n, any;

	if ((n = list(body, "InstanceId", ids, 64)) > 0) {
		for (i = 0; i < n && strcmp(ids[i], in->id) != 0; i++)
			;
		if (i == n)
			return 0;
	}
	for (i = 1; i < 10; i++) {
		snprintf(name, sizeof name, "Filter.%d.Name", i);
		if (param(body, name, v, sizeof v) == NULL)
			break;
		any = 0;
		for (j = 1; j < 300; j++) {
			char	val[32];

			snprintf(name, sizeof name, "Filter.%d.Value.%d", i,
			    j);
			if (param(body, name, val, sizeof val) == NULL)
				break;
			if (strcmp(v, "instance-id") == 0)
				any |= strcmp(val, in->id) == 0;
			else if (strcmp(v, "instance-state-name") == 0)
				any |= strcmp(val, in->state) == 0;
			else if (strcmp(v, "tag:Role") == 0)
				any |= strcmp(val, in->role) == 0;
		}
		if (!any)
			return 0;
	}
	return 1;
}

static void
launch_replacement(void)
{
	struct inst	*in = &world[nworld++];

	snprintf(in->id, sizeof in->id, "i-%08d", next_id++);
	snprintf(in->state, 16, "running");
	snprintf(in->ip, 16, "127.0.0.1");
	snprintf(in->image, 16, "ami-2");
	snprintf(in->asg, 8, "web");
	snprintf(in->lifecycle, 16, "%s", pending ? "Pending" : "InService");
	snprintf(in->role, 8, "web");
}

static void
state_changes(struct out *o, const char *action, char ids[][32], int n,
    const char *to)
{
	struct inst	*in;
	int		 i;

	put(o, "<%sResponse><instancesSet>", action);
	for (i = 0; i < n; i++) {
		if ((in = find(ids[i])) == NULL)
			continue;
		put(o, "<item><instanceId>%s</instanceId><previousState><name>"
		    "%s</name></previousState><currentState><name>%s</name>"
		    "</currentState></item>", in->id, in->state, to);
	}
	put(o, "</instancesSet></%sResponse>", action);
}

static void
serve(int fd, const struct httpd_req *req, void *arg)
{
	static struct out	 o;
	char			 action[64], v[64], ids[64][32];
	struct inst		*in;
	int			 i, j, n, up = 0;

	(void)arg;
	o.n = 0;
	o.s[0] = '\0';
	if (strcmp(req->method, "GET") == 0 && strcmp(req->target, "/log") ==
	    0) {
		httpd_respond(fd, 200, "", actlog, strlen(actlog));
		return;
	}
	if (strcmp(req->method, "GET") == 0 && strcmp(req->target,
	    "/reset") == 0) {
		world_reset();
		httpd_respond(fd, 200, "", "", 0);
		return;
	}
	if (strcmp(req->method, "GET") == 0 && strcmp(req->target,
	    "/count") == 0) {
		snprintf(v, sizeof v, "%d", requests);
		httpd_respond(fd, 200, "", v, strlen(v));
		return;
	}
	if (strcmp(req->method, "GET") == 0 && strcmp(req->target,
	    "/pending") == 0) {
		pending = 1;
		httpd_respond(fd, 200, "", "", 0);
		return;
	}
	requests++;
	if (strcmp(req->method, "POST") != 0 ||
	    param(req->body, "Action", action, sizeof action) == NULL) {
		error(fd, "BadShape", "a POST with an Action, please");
		return;
	}
	if (strcmp(action, "DescribeAutoScalingGroups") == 0) {
		if (param(req->body, "AutoScalingGroupNames.member.1", v,
		    sizeof v) != NULL && strcmp(v, "web") != 0) {
			put(&o, "<DescribeAutoScalingGroupsResponse>"
			    "<DescribeAutoScalingGroupsResult>"
			    "<AutoScalingGroups/></DescribeAutoScalingGroupsResult>"
			    "</DescribeAutoScalingGroupsResponse>");
			reply(fd, &o);
			return;
		}
		put(&o, "<DescribeAutoScalingGroupsResponse>"
		    "<DescribeAutoScalingGroupsResult><AutoScalingGroups>"
		    "<member><AutoScalingGroupName>web</AutoScalingGroupName>"
		    "<LaunchTemplate><LaunchTemplateName>web"
		    "</LaunchTemplateName><Version>$Latest</Version>"
		    "</LaunchTemplate><MinSize>3</MinSize><MaxSize>6</MaxSize>"
		    "<DesiredCapacity>3</DesiredCapacity><Instances>");
		for (i = 0; i < nworld; i++) {
			if (strcmp(world[i].asg, "web") != 0)
				continue;
			put(&o, "<member><InstanceId>%s</InstanceId>"
			    "<LifecycleState>%s</LifecycleState><HealthStatus>"
			    "Healthy</HealthStatus></member>", world[i].id,
			    world[i].lifecycle);
		}
		put(&o, "</Instances></member></AutoScalingGroups>"
		    "</DescribeAutoScalingGroupsResult>"
		    "</DescribeAutoScalingGroupsResponse>");
	} else if (strcmp(action, "DescribeInstances") == 0) {
		put(&o, "<DescribeInstancesResponse><reservationSet><item>"
		    "<instancesSet>");
		for (i = 0; i < nworld; i++) {
			if (selected(req->body, &world[i]))
				item(&o, &world[i]);
		}
		put(&o, "</instancesSet></item></reservationSet>"
		    "</DescribeInstancesResponse>");
	} else if (strcmp(action, "DescribeAutoScalingInstances") == 0) {
		n = list(req->body, "InstanceIds.member", ids, 64);
		put(&o, "<DescribeAutoScalingInstancesResponse>"
		    "<DescribeAutoScalingInstancesResult>"
		    "<AutoScalingInstances>");
		for (i = 0; i < n; i++) {
			if ((in = find(ids[i])) == NULL || in->asg[0] == '\0')
				continue;
			put(&o, "<member><InstanceId>%s</InstanceId>"
			    "<AutoScalingGroupName>%s</AutoScalingGroupName>"
			    "<LifecycleState>%s</LifecycleState><HealthStatus>"
			    "HEALTHY</HealthStatus></member>", in->id, in->asg,
			    in->lifecycle);
		}
		put(&o, "</AutoScalingInstances>"
		    "</DescribeAutoScalingInstancesResult>"
		    "</DescribeAutoScalingInstancesResponse>");
	} else if (strcmp(action, "TerminateInstances") == 0) {
		n = list(req->body, "InstanceId", ids, 64);
		logf_("TerminateInstances");
		for (i = 0; i < n; i++)
			logf_("%s%s", i > 0 ? "," : " ", ids[i]);
		logf_("\n");
		state_changes(&o, action, ids, n, "shutting-down");
		for (i = 0; i < n; i++) {
			if ((in = find(ids[i])) == NULL)
				continue;
			snprintf(in->state, 16, "terminated");
			if (in->asg[0] != '\0') {
				in->asg[0] = '\0';
				launch_replacement();
			}
		}
	} else if (strcmp(action, "TerminateInstanceInAutoScalingGroup") ==
	    0) {
		param(req->body, "InstanceId", v, sizeof v);
		param(req->body, "ShouldDecrementDesiredCapacity", ids[0], 32);
		logf_("TerminateInstanceInAutoScalingGroup %s decrement=%s\n",
		    v, ids[0]);
		if ((in = find(v)) == NULL || in->asg[0] == '\0') {
			error(fd, "ValidationError", "no such instance");
			return;
		}
		snprintf(in->state, 16, "terminated");
		in->asg[0] = '\0';
		if (strcmp(ids[0], "false") == 0)
			launch_replacement();
		put(&o, "<TerminateInstanceInAutoScalingGroupResponse>"
		    "<TerminateInstanceInAutoScalingGroupResult><Activity>"
		    "<StatusCode>InProgress</StatusCode></Activity>"
		    "</TerminateInstanceInAutoScalingGroupResult>"
		    "</TerminateInstanceInAutoScalingGroupResponse>");
	} else if (strcmp(action, "StopInstances") == 0 ||
	    strcmp(action, "StartInstances") == 0) {
		up = strcmp(action, "StartInstances") == 0;
		n = list(req->body, "InstanceId", ids, 64);
		logf_("%s", action);
		for (i = 0; i < n; i++)
			logf_("%s%s", i > 0 ? "," : " ", ids[i]);
		logf_("\n");
		state_changes(&o, action, ids, n, up ? "pending" : "stopping");
		for (i = 0; i < n; i++) {
			if ((in = find(ids[i])) != NULL)
				snprintf(in->state, 16, "%s", up ? "running" :
				    "stopped");
		}
	} else if (strcmp(action, "RebootInstances") == 0) {
		n = list(req->body, "InstanceId", ids, 64);
		logf_("RebootInstances");
		for (i = 0; i < n; i++)
			logf_("%s%s", i > 0 ? "," : " ", ids[i]);
		logf_("\n");
		put(&o, "<RebootInstancesResponse><return>true</return>"
		    "</RebootInstancesResponse>");
	} else if (strcmp(action, "DescribeLaunchTemplateVersions") == 0) {
		put(&o, "<DescribeLaunchTemplateVersionsResponse>"
		    "<launchTemplateVersionSet><item><launchTemplateName>web"
		    "</launchTemplateName><versionNumber>2</versionNumber>"
		    "<defaultVersion>false</defaultVersion>"
		    "<launchTemplateData><imageId>ami-2</imageId>"
		    "</launchTemplateData></item></launchTemplateVersionSet>"
		    "</DescribeLaunchTemplateVersionsResponse>");
	} else if (strcmp(action, "DescribeImages") == 0) {
		n = list(req->body, "ImageId", ids, 64);
		put(&o, "<DescribeImagesResponse><imagesSet>");
		for (i = 0; i < n; i++) {
			j = strcmp(ids[i], "ami-1") == 0 ? 1 :
			    strcmp(ids[i], "ami-2") == 0 ? 2 : 0;
			if (j > 0)
				put(&o, "<item><imageId>%s</imageId><name>"
				    "golden-web-v%d</name></item>", ids[i], j);
		}
		put(&o, "</imagesSet></DescribeImagesResponse>");
	} else {
		error(fd, "InvalidAction", "not in this fake");
		return;
	}
	reply(fd, &o);
}

/* healthy_when's server: /ok answers 200, anything else 503. */
static void
serve_web(int fd, const struct httpd_req *req, void *arg)
{
	(void)arg;
	if (strcmp(req->target, "/ok") == 0)
		httpd_respond(fd, 200, "", "up", 2);
	else
		httpd_respond(fd, 503, "", "down", 4);
}

/* ---- the test side -------------------------------------------------- */

/* A GET on the fake (its log, a reset, a scenario); new string. */
static char *
get(const char *path)
{
	struct sockaddr_in	 sa;
	char			 req[128], buf[16384], *body;
	size_t			 n = 0;
	ssize_t			 r;
	int			 fd;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)aws.port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	snprintf(req, sizeof req, "GET %s HTTP/1.0\r\n\r\n", path);
	httpd_write_all(fd, req, strlen(req));
	while (n + 1 < sizeof buf && (r = read(fd, buf + n,
	    sizeof buf - n - 1)) > 0)
		n += (size_t)r;
	close(fd);
	buf[n] = '\0';
	body = strstr(buf, "\r\n\r\n");
	return hv_xstrdup(body != NULL ? body + 4 : "");
}

struct fixture {
	char		 dir[64];
	char		 db[96];
	char		 file[96];
	struct hv_store	*st;
};

static int
setup(void **state)
{
	struct fixture	*f = calloc(1, sizeof *f);
	struct hv_buf	 err = HV_BUF_INIT;
	char		*s;

	snprintf(f->dir, sizeof f->dir, "/tmp/havoc-cloud-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->db, sizeof f->db, "%s/h.db", f->dir);
	snprintf(f->file, sizeof f->file, "%s/x.yaml", f->dir);
	assert_int_equal(hv_store_open(f->db, &f->st, &err), 0);
	free(get("/reset"));
	s = httpd_url(&aws, "/");
	setenv("FAKE_AWS", s, 1);
	free(s);
	setenv("FAKE_WEB_PORT", "0", 1);
	{
		char	p[16];

		snprintf(p, sizeof p, "%d", web.port);
		setenv("FAKE_WEB_PORT", p, 1);
	}
	setenv("AWS_ACCESS_KEY_ID", AKID, 1);
	setenv("AWS_SECRET_ACCESS_KEY", SECRET, 1);
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
	setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials", 1);
	setenv("AWS_CONFIG_FILE", "/nonexistent/config", 1);
	unsetenv("AWS_PROFILE");
	hv_log_level = HV_LOG_QUIET;
	hv_buf_release(&err);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;
	char		 cmd[160];

	hv_store_close(f->st);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static int
group_setup(void **state)
{
	(void)state;
	if (httpd_start(&aws, HTTPD_SERIAL, serve, NULL) == -1 ||
	    httpd_start(&web, HTTPD_FORKING, serve_web, NULL) == -1)
		return -1;
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	httpd_stop(&aws);
	httpd_stop(&web);
	return 0;
}

#define CLOUD \
	"cloud: {aws: {region: eu-west-1, endpoint: \"${env.FAKE_AWS}\"}}\n"

static void
write_file(const char *path, const char *s)
{
	FILE	*fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(s, fp);
	fclose(fp);
}

static struct hv_experiment *
load(struct fixture *f, const char *yaml)
{
	struct hv_experiment	*x;
	struct hv_diag		 d;

	write_file(f->file, yaml);
	hv_diag_init(&d);
	x = hv_experiment_load(f->file, NULL, &d);
	if (x == NULL)
		fail_msg("%s", d.text.s);
	hv_diag_release(&d);
	return x;
}

/* Every problem validate reports, with its position. */
static char *
problems(struct fixture *f, const char *yaml)
{
	struct hv_experiment	*x;
	struct hv_diag		 d;
	char			*out;

	write_file(f->file, yaml);
	hv_diag_init(&d);
	x = hv_experiment_load(f->file, NULL, &d);
	if (x != NULL)
		hv_plan_check(x, &d);
	hv_experiment_free(x);
	out = hv_xstrdup(d.text.s);
	hv_diag_release(&d);
	return out;
}

/* Runs yaml (seed 7); the exit code, the run's JSON in *out. */
static int
run(struct fixture *f, const char *yaml, json_t **out)
{
	struct hv_experiment	*x = load(f, yaml);
	struct hv_run_opts	 o;
	struct hv_run_result	 res;
	struct hv_loop		*loop = hv_loop_new();
	struct hv_buf		 err = HV_BUF_INIT;
	int			 rc;

	memset(&o, 0, sizeof o);
	o.have_seed = 1;
	o.seed = 7;
	rc = hv_run(x, f->st, loop, &o, &res);
	*out = res.run > 0 ? hv_store_run_json(f->st, res.run, &err) :
	    json_pack("{s:s}", "reason", res.reason != NULL ? res.reason :
	    "");
	hv_run_result_release(&res);
	hv_experiment_free(x);
	hv_loop_free(loop);
	hv_buf_release(&err);
	return rc;
}

/* Field key of step i of a run's JSON (strings; "" for null). */
static const char *
step_str(json_t *j, size_t i, const char *key)
{
	const char	*s = json_string_value(json_object_get(json_array_get(
			    json_object_get(j, "steps"), i), key));

	return s != NULL ? s : "";
}

static json_int_t
step_int(json_t *j, size_t i, const char *key)
{
	return json_integer_value(json_object_get(json_array_get(
	    json_object_get(j, "steps"), i), key));
}

/* How many requests the fake had since the test began. */
static int
count(void)
{
	char	*s = get("/count");
	int	 n = (int)strtol(s, NULL, 10);

	free(s);
	return n;
}

static void
assert_log(const char *want)
{
	char	*log = get("/log");

	if (strcmp(log, want) != 0)
		fail_msg("AWS saw:\n%s\nexpected:\n%s", log, want);
	free(log);
}

static int
lines(const char *s)
{
	int	n = 0;

	for (; *s != '\0'; s++)
		n += *s == '\n';
	return n;
}

/* ---- the model ------------------------------------------------------ */

static void
test_model_errors(void **state)
{
	struct fixture	*f = *state;
	char		*p;

	p = problems(f, CLOUD
	    "targets:\n"
	    "  a: {aws: {asg: web, tags: {Role: web}}}\n"
	    "  b: {aws: {ids: [i-123]}, pick: 1}\n"
	    "  c: {aws: {ids: []}, tags: [web]}\n"
	    "  d: {aws: {tags: {Role: [web]}, address: elastic}}\n"
	    "  e: {aws: {asg: web, colour: red}}\n"
	    "method:\n"
	    "  - {action: aws.ec2.terminate, on: a, with: {outside_asg: maybe}}\n"
	    "  - {action: aws.asg.replace, on: a, with: {healthy_when: "
	    "{probe: htp}}}\n");
	assert_non_null(strstr(p, ":3:12: target group \"a\": aws: needs "
	    "exactly one of asg:"));
	assert_non_null(strstr(p, ":4:19: aws.ids: \"i-123\" is not an "
	    "instance id"));
	assert_non_null(strstr(p, ":5:7: target group \"c\": aws: selects "
	    "instances on its own, without tags: or hosts:"));
	assert_non_null(strstr(p, ":5:18: aws.ids: name at least one "));
	assert_non_null(strstr(p, ":6:26: aws.tags.Role must be a string"));
	assert_non_null(strstr(p, ":6:43: aws.address must be private or "
	    "public"));
	assert_non_null(strstr(p, ":7:23: unknown key \"colour\" in aws"));
	assert_non_null(strstr(p, ":9:60: aws.ec2.terminate: outside_asg: "
	    "\"maybe\" is not true or false"));
	assert_non_null(strstr(p, ":10:59: aws.asg.replace: healthy_when: "
	    "no probe \"htp\""));
	assert_int_equal(lines(p), 9);	/* those, and no other */
	free(p);

	p = problems(f,
	    "cloud: {aws: {region: \"eu west\", endpoint: ftp://x, "
	    "profile: \"[x]\", key: k}}\n"
	    "hosts: {web-1: 10.0.0.1}\n"
	    "targets:\n"
	    "  hosts: {hosts: [web-1]}\n"
	    "  group: {aws: {asg: web}}\n"
	    "method:\n"
	    "  - {action: aws.ec2.stop, on: hosts}\n"
	    "  - {action: aws.asg.replace, on: group, with: {batch: 0}}\n"
	    "  - {probe: aws.asg.capacity, on: group, with: {asg: web}}\n");
	assert_non_null(strstr(p, ":1:69: unknown key \"key\" in cloud.aws"));
	assert_non_null(strstr(p, ":1:23: cloud.aws.region: \"eu west\" is not "
	    "a region"));
	assert_non_null(strstr(p, ":1:62: cloud.aws.profile: not a profile "
	    "name"));
	assert_non_null(strstr(p, ":1:44: cloud.aws.endpoint: scheme ftp is not "
	    "http or https"));
	assert_non_null(strstr(p, ":7:32: aws.ec2.stop acts on cloud "
	    "instances: on: must name a target group with aws:"));
	assert_non_null(strstr(p, ":8:5: aws.asg.replace: batch must be 1 or "
	    "more"));
	assert_non_null(strstr(p, ":9:31: on: is not allowed for "
	    "aws.asg.capacity"));
	assert_int_equal(lines(p), 7);
	free(p);
	assert_int_equal(count(), 0);
}

/* Validate knows nothing of AWS: it asks nothing, and bounds the pick. */
static void
test_model_offline(void **state)
{
	struct fixture	*f = *state;
	char		*p;

	p = problems(f, CLOUD
	    "targets:\n"
	    "  two: {aws: {asg: web}, pick: 2}\n"
	    "  all: {aws: {tags: {Role: web}}}\n"
	    "method:\n"
	    "  - {action: aws.ec2.terminate, on: two}\n"
	    "  - {action: aws.ec2.reboot, on: all}\n"
	    "safety: {max_targets: 1}\n");
	assert_non_null(strstr(p, ":8:23: safety: actions may touch 2 hosts, "
	    "more than max_targets 1"));
	free(p);
	p = problems(f, CLOUD
	    "targets:\n"
	    "  one: {aws: {asg: web}, pick: 1}\n"
	    "method:\n"
	    "  - {action: aws.ec2.terminate, on: one}\n"
	    "  - {action: aws.asg.replace, on: one, with: {min_healthy: "
	    "\"66%\", healthy_when: {probe: http, with: {url: "
	    "\"http://${target.address}/\"}}}}\n"
	    "safety: {max_targets: 1}\n");
	assert_string_equal(p, "");
	free(p);
	/* Not one request: validate works offline. */
	assert_int_equal(count(), 0);
}

/* ---- plan time -------------------------------------------------------- */

static void
test_resolve_and_pick(void **state)
{
	struct fixture		*f = *state;
	struct hv_experiment	*x;
	struct hv_loop		*loop = hv_loop_new();
	struct hv_plan		 p1, p2;
	struct hv_buf		 err = HV_BUF_INIT;
	const struct hv_host	*h;

	x = load(f, CLOUD
	    "targets:\n"
	    "  web: {aws: {asg: web}, pick: 2}\n"
	    "  lone: {aws: {tags: {Role: lone}}}\n"
	    "method:\n"
	    "  - {action: aws.ec2.reboot, on: web}\n");
	if (hv_cloud_resolve(x, loop, &err) == -1)
		fail_msg("%s", err.s);
	/* Four hosts: the group's three and the lone one. */
	assert_int_equal(x->inv->nhosts, 4);
	h = hv_inventory_find(x->inv, "i-00000002");
	assert_non_null(h);
	assert_string_equal(h->address, "10.9.0.2");
	assert_non_null(h->instance);
	assert_string_equal(h->instance->asg, "web");
	assert_string_equal(h->instance->image_id, "ami-1");
	assert_int_equal(h->ntags, 2);
	assert_string_equal(h->tags[0], "Role=web");
	/* Auto Scaling's word, not the forged tag. */
	h = hv_inventory_find(x->inv, "i-00000009");
	assert_non_null(h);
	assert_null(h->instance->asg);
	/* The seed picks from the group, the same way every time. */
	assert_int_equal(hv_plan_make(x, 7, &p1, &err), 0);
	assert_int_equal(hv_plan_make(x, 7, &p2, &err), 0);
	assert_int_equal(p1.groups[0].n, 2);
	assert_ptr_equal(p1.groups[0].hosts[0], p2.groups[0].hosts[0]);
	assert_ptr_equal(p1.groups[0].hosts[1], p2.groups[0].hosts[1]);
	assert_int_equal(p1.groups[1].n, 1);
	assert_string_equal(p1.groups[1].hosts[0]->name, "i-00000009");
	assert_int_equal(p1.ntouched, 2);
	hv_plan_release(&p1);
	hv_plan_release(&p2);
	/* Again (a daemon's next game day): the same hosts, fresh facts. */
	assert_int_equal(hv_cloud_resolve(x, loop, &err), 0);
	assert_int_equal(x->inv->nhosts, 4);
	assert_int_equal(hv_plan_make(x, 7, &p2, &err), 0);
	assert_int_equal(p2.groups[0].n, 2);
	hv_plan_release(&p2);
	hv_experiment_free(x);

	/* max_targets: the same check as for any hosts. */
	x = load(f, CLOUD
	    "targets:\n"
	    "  web: {aws: {asg: web}}\n"
	    "method:\n"
	    "  - {action: aws.ec2.reboot, on: web}\n"
	    "safety: {max_targets: 2}\n");
	assert_int_equal(hv_cloud_resolve(x, loop, &err), 0);
	assert_int_equal(hv_plan_make(x, 7, &p1, &err), -1);
	assert_string_equal(err.s, "safety: actions would touch 3 hosts, more "
	    "than max_targets 2 (i-00000001, i-00000002, i-00000003)");
	hv_buf_reset(&err);
	hv_experiment_free(x);

	/* No such group: AWS's word, before any plan. */
	x = load(f, CLOUD
	    "targets:\n"
	    "  web: {aws: {asg: nope}}\n"
	    "method:\n"
	    "  - {action: aws.ec2.reboot, on: web}\n");
	assert_int_equal(hv_cloud_resolve(x, loop, &err), -1);
	assert_string_equal(err.s, "target group web: aws: no Auto Scaling "
	    "group nope");
	hv_experiment_free(x);
	hv_loop_free(loop);
	hv_buf_release(&err);
	/* Plan time only reads. */
	assert_true(count() > 0);
	assert_log("");
}

/* ---- actions ---------------------------------------------------------- */

/* A step's instances go in one request. */
static void
test_terminate_gathered(void **state)
{
	struct fixture	*f = *state;
	json_t		*j;

	assert_int_equal(run(f, CLOUD
	    "targets:\n"
	    "  web: {aws: {asg: web}, pick: 2}\n"
	    "method:\n"
	    "  - {name: kill, action: aws.ec2.terminate, on: web}\n", &j),
	    HV_EXIT_OK);
	assert_string_equal(step_str(j, 0, "status"), "ok");
	assert_string_equal(step_str(j, 1, "status"), "ok");
	assert_non_null(strstr(step_str(j, 0, "output"),
	    ": running -> shutting-down"));
	json_decref(j);
	/* Seed 7 picks these two; one request for both. */
	assert_log("TerminateInstances i-00000002,i-00000003\n");
}

/* Outside any group: refused, and nothing of the step is done. */
static void
test_terminate_refusals(void **state)
{
	struct fixture	*f = *state;
	json_t		*j;

	assert_int_equal(run(f, CLOUD
	    "targets:\n"
	    "  lone: {aws: {tags: {Role: lone}}}\n"
	    "method:\n"
	    "  - {name: kill, action: aws.ec2.terminate, on: lone}\n", &j),
	    HV_EXIT_ABORTED);
	json_decref(j);
	/* One refused target among others: none is terminated. */
	assert_int_equal(run(f, CLOUD
	    "targets:\n"
	    "  two: {aws: {ids: [i-00000009, i-00000002]}}\n"
	    "method:\n"
	    "  - {name: kill, action: aws.ec2.terminate, on: two}\n", &j),
	    HV_EXIT_ABORTED);
	assert_string_equal(step_str(j, 0, "target"), "i-00000002");
	assert_string_equal(step_str(j, 0, "status"), "failed");
	assert_non_null(strstr(step_str(j, 0, "error"), "not terminated: only "
	    "1 of the step's 2 targets started; nothing terminated"));
	json_decref(j);
	assert_log("");
	/* outside_asg: true says yes. */
	assert_int_equal(run(f, CLOUD
	    "targets:\n"
	    "  lone: {aws: {tags: {Role: lone}}}\n"
	    "method:\n"
	    "  - {name: kill, action: aws.ec2.terminate, on: lone, with: "
	    "{outside_asg: true}}\n", &j), HV_EXIT_OK);
	json_decref(j);
	assert_log("TerminateInstances i-00000009\n");
}

/* Stop: journaled with where the instance lives; the revert starts it. */
static void
test_stop_and_revert_spec(void **state)
{
	struct fixture		*f = *state;
	struct hv_revert	*rv;
	struct hv_ctx		 ctx;
	struct hv_buf		 err = HV_BUF_INIT;
	char			*spec;
	json_t			*j, *o, *in;

	assert_int_equal(run(f, CLOUD
	    "targets:\n"
	    "  one: {aws: {asg: web}, pick: 1}\n"
	    "method:\n"
	    "  - {name: stop, action: aws.ec2.stop, on: one, duration: 10ms}\n",
	    &j), HV_EXIT_OK);
	assert_log("StopInstances i-00000001\nStartInstances i-00000001\n");
	o = json_object_get(json_array_get(json_object_get(j, "faults"), 0),
	    "revert_spec");
	in = json_object_get(json_object_get(o, "host"), "instance");
	/* Where the instance lives, as written: a reference stays one. */
	assert_string_equal(json_string_value(json_object_get(in, "id")),
	    "i-00000001");
	assert_string_equal(json_string_value(json_object_get(in, "asg")),
	    "web");
	assert_string_equal(json_string_value(json_object_get(in, "region")),
	    "eu-west-1");
	assert_string_equal(json_string_value(json_object_get(in,
	    "endpoint")), "${env.FAKE_AWS}");
	spec = json_dumps(o, JSON_COMPACT);
	assert_non_null(spec);
	assert_null(strstr(spec, SECRET));
	assert_null(strstr(spec, AKID));
	memset(&ctx, 0, sizeof ctx);
	rv = hv_revert_new(&ctx, spec, &err);
	if (rv == NULL)
		fail_msg("%s", err.s);
	assert_non_null(rv->call.host->instance);
	assert_string_equal(rv->call.host->instance->id, "i-00000001");
	assert_string_equal(rv->call.host->instance->aws->endpoint,
	    getenv("FAKE_AWS"));
	assert_string_equal(rv->call.host->instance->aws->endpoint_shown,
	    "${env.FAKE_AWS}");
	hv_revert_free(rv);
	free(spec);
	json_decref(j);
	hv_buf_release(&err);
}

/* The rotation: batches, capacity kept, replacements take the place. */
static void
test_rotation(void **state)
{
	struct fixture	*f = *state;
	json_t		*j;

	assert_int_equal(run(f, CLOUD
	    "targets:\n"
	    "  web: {aws: {asg: web}, pick: all}\n"
	    "method:\n"
	    "  - name: rotate\n"
	    "    action: aws.asg.replace\n"
	    "    on: web\n"
	    "    with:\n"
	    "      batch: 2\n"
	    "      min_healthy: 1\n"
	    "      wait_healthy: 10s\n"
	    "      healthy_when: {probe: http, with: {url: "
	    "\"http://${target.address}:${env.FAKE_WEB_PORT}/ok\"}}\n"
	    "  - {name: after, probe: aws.ec2.image, on: web, with: "
	    "{launch_template: current}}\n", &j), HV_EXIT_OK);
	assert_log(
	    "TerminateInstanceInAutoScalingGroup i-00000001 decrement=false\n"
	    "TerminateInstanceInAutoScalingGroup i-00000002 decrement=false\n"
	    "TerminateInstanceInAutoScalingGroup i-00000003 decrement=false\n");
	assert_int_equal(step_int(j, 0, "batch"), 1);
	assert_int_equal(step_int(j, 1, "batch"), 1);
	assert_int_equal(step_int(j, 2, "batch"), 2);
	assert_string_equal(step_str(j, 0, "output"), "i-00000001 replaced by "
	    "i-00000100 (127.0.0.1, ami-2 (golden-web-v2))");
	assert_string_equal(step_str(j, 2, "output"), "i-00000003 replaced by "
	    "i-00000102 (127.0.0.1, ami-2 (golden-web-v2))");
	/* The next step runs on the replacements. */
	assert_string_equal(step_str(j, 3, "target"), "i-00000100");
	assert_string_equal(step_str(j, 3, "status"), "ok");
	assert_string_equal(step_str(j, 5, "target"), "i-00000102");
	json_decref(j);
}

/* A replacement that never passes healthy_when stops the rotation. */
static void
test_rotation_unhealthy(void **state)
{
	struct fixture	*f = *state;
	json_t		*j;
	int64_t		 t0 = hv_mono_ms();

	assert_int_equal(run(f, CLOUD
	    "targets:\n"
	    "  web: {aws: {asg: web}, pick: all}\n"
	    "method:\n"
	    "  - name: rotate\n"
	    "    action: aws.asg.replace\n"
	    "    on: web\n"
	    "    with:\n"
	    "      wait_healthy: 2s\n"
	    "      healthy_when: {probe: http, with: {url: "
	    "\"http://${target.address}:${env.FAKE_WEB_PORT}/down\"}}\n", &j),
	    HV_EXIT_ABORTED);
	assert_true(hv_mono_ms() - t0 >= 2000);
	assert_log(
	    "TerminateInstanceInAutoScalingGroup i-00000001 decrement=false\n");
	assert_string_equal(step_str(j, 0, "status"), "failed");
	assert_int_equal(step_int(j, 0, "batch"), 1);
	assert_non_null(strstr(step_str(j, 0, "error"), "batch 1: not healthy "
	    "within wait_healthy 2.0s: replacement i-00000100 (127.0.0.1): "
	    "healthy_when: "));
	assert_string_equal(step_str(j, 1, "status"), "skipped");
	assert_int_equal(step_int(j, 1, "batch"), 2);
	assert_string_equal(step_str(j, 1, "error"), "not replaced: the "
	    "rotation stopped at batch 1");
	assert_string_equal(step_str(j, 2, "status"), "skipped");
	json_decref(j);

	/* Never InService at all: the same stop, with Auto Scaling's word. */
	free(get("/reset"));
	free(get("/pending"));
	assert_int_equal(run(f, CLOUD
	    "targets:\n"
	    "  web: {aws: {asg: web}, pick: 2}\n"
	    "method:\n"
	    "  - {name: rotate, action: aws.asg.replace, on: web, with: "
	    "{wait_healthy: 1s}}\n", &j), HV_EXIT_ABORTED);
	assert_non_null(strstr(step_str(j, 0, "error"), "batch 1: no "
	    "replacement InService and Healthy in group web within "
	    "wait_healthy 1.0s (0 of 1)"));
	assert_string_equal(step_str(j, 1, "status"), "skipped");
	json_decref(j);
	assert_log(
	    "TerminateInstanceInAutoScalingGroup i-00000002 decrement=false\n");
}

/* min_healthy: a batch that would leave too few is not started. */
static void
test_rotation_min_healthy(void **state)
{
	struct fixture	*f = *state;
	json_t		*j;

	assert_int_equal(run(f, CLOUD
	    "targets:\n"
	    "  web: {aws: {asg: web}, pick: 1}\n"
	    "method:\n"
	    "  - {name: rotate, action: aws.asg.replace, on: web, with: "
	    "{min_healthy: \"100%\", wait_healthy: 1s}}\n", &j),
	    HV_EXIT_ABORTED);
	assert_non_null(strstr(step_str(j, 0, "error"), "batch 1: group web "
	    "has 3 of 3 instances InService and Healthy: replacing 1 would "
	    "leave fewer than min_healthy 3"));
	json_decref(j);
	assert_log("");
}

/* The AWS probes: what they saw, in their words; a "no" deviates. */
static void
test_probes(void **state)
{
	struct fixture	*f = *state;
	json_t		*j;

	assert_int_equal(run(f, CLOUD
	    "targets:\n"
	    "  web: {aws: {asg: web}, pick: 1}\n"
	    "method:\n"
	    "  - {name: by id, probe: aws.ec2.image, on: web, with: "
	    "{image_id: ami-1}}\n"
	    "  - {name: capacity, probe: aws.asg.capacity, with: {asg: web}}\n",
	    &j), HV_EXIT_OK);
	assert_string_equal(step_str(j, 0, "output"), "i-00000002 runs ami-1 "
	    "(golden-web-v1); expected ami-1 (golden-web-v1)");
	assert_string_equal(step_str(j, 1, "output"), "web: 3 of 3 desired "
	    "InService and Healthy (3 members)");
	json_decref(j);
	assert_int_equal(run(f, CLOUD
	    "targets:\n"
	    "  web: {aws: {asg: web}, pick: 1}\n"
	    "method:\n"
	    "  - {name: current, probe: aws.ec2.image, on: web, with: "
	    "{launch_template: current}}\n"
	    "  - {name: capacity, probe: aws.asg.capacity, with: {asg: nope}}\n",
	    &j), HV_EXIT_DEVIATED);
	assert_string_equal(step_str(j, 0, "status"), "failed");
	assert_string_equal(step_str(j, 0, "error"), "another image: "
	    "i-00000002 runs ami-1 (golden-web-v1); launch template web "
	    "$Latest (version 2) gives ami-2 (golden-web-v2)");
	assert_string_equal(step_str(j, 1, "error"), "no Auto Scaling group "
	    "nope");
	json_decref(j);
	assert_log("");
}

/* The plan shows the batches and the image of the replacements. */
static void
test_plan_print(void **state)
{
	struct fixture		*f = *state;
	struct hv_experiment	*x;
	struct hv_loop		*loop = hv_loop_new();
	struct hv_plan		 p;
	struct hv_buf		 err = HV_BUF_INIT;
	char			*text = NULL;
	size_t			 len = 0;
	FILE			*fp;

	x = load(f, CLOUD
	    "targets:\n"
	    "  web: {aws: {asg: web}, pick: all}\n"
	    "method:\n"
	    "  - {name: rotate, action: aws.asg.replace, on: web, with: "
	    "{batch: 2}}\n");
	assert_int_equal(hv_cloud_resolve(x, loop, &err), 0);
	assert_int_equal(hv_plan_make(x, 1, &p, &err), 0);
	fp = open_memstream(&text, &len);
	hv_plan_print(x, &p, fp);
	fclose(fp);
	assert_non_null(strstr(text, "target web: i-00000001 (10.9.0.1, group "
	    "web) i-00000002 (10.9.0.2, group web) i-00000003 (10.9.0.3, "
	    "group web)\n"));
	assert_non_null(strstr(text, "i-00000001: terminate i-00000001 in Auto "
	    "Scaling group web, keeping its capacity (batch 1 of 2); its "
	    "replacement runs ami-2 (golden-web-v2) from launch template web "
	    "$Latest (version 2)\n"));
	assert_non_null(strstr(text, "i-00000003: terminate i-00000003 in Auto "
	    "Scaling group web, keeping its capacity (batch 2 of 2)"));
	free(text);
	hv_plan_release(&p);
	hv_experiment_free(x);
	hv_loop_free(loop);
	hv_buf_release(&err);
	assert_log("");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_model_errors, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_model_offline, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_resolve_and_pick, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_terminate_gathered, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_terminate_refusals, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_stop_and_revert_spec,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_rotation, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_rotation_unhealthy, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_rotation_min_healthy,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_probes, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_plan_print, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
