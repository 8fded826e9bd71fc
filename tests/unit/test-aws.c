/*
 * test-aws.c - the AWS client (aws.c, aws-types.c, aws-resolve.c) and the
 * XML seam (xml.c), against a real HTTP server on 127.0.0.1 that plays
 * AWS's Query APIs and instance metadata.
 *
 * The documents below follow the "Examples" sections of the AWS API
 * references, each named where it is used (EC2 2016-11-15:
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/; Auto Scaling
 * 2011-01-01: https://docs.aws.amazon.com/autoscaling/ec2/APIReference/),
 * with the ids the references use.
 *
 * The server runs one request at a time (HTTPD_SERIAL), so it counts the
 * requests of each scenario; the scenario is the path of the endpoint
 * the test gives the client. Every request it gets is checked to be what
 * AWS requires and what havoc promises: a POST to the endpoint's path
 * without a query string, a form body starting with Action and Version,
 * a SigV4 Authorization header for the right key, region and service,
 * and no secret anywhere. A request that is not answers 400
 * "BadShape", which fails the test.
 */
#include <sys/types.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "aws.h"
#include "httpd.h"
#include "loop.h"
#include "util.h"
#include "xml.h"

#define AKID		"AKIAIOSFODNN7EXAMPLE"
#define SECRET		"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define IMDS_AKID	"ASIAIMDSEXAMPLE00001"
#define IMDS_SECRET	"imds/secret+EXAMPLE0000000000000000000000"
#define IMDS_SESSION	"IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKEN"
#define IMDS_TOKEN	"AQAEAExampleImdsV2Token=="

static struct httpd	srv;

/*
 * DescribeInstances, after the example of
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeInstances.html
 * (one reservation; the second instance is in an Auto Scaling group).
 */
static const char describe_instances[] =
"<DescribeInstancesResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">\n"
"  <requestId>8f7724cf-496f-496e-8fe3-example</requestId>\n"
"  <reservationSet>\n"
"    <item>\n"
"      <reservationId>r-1234567890abcdef0</reservationId>\n"
"      <ownerId>123456789012</ownerId>\n"
"      <groupSet/>\n"
"      <instancesSet>\n"
"        <item>\n"
"          <instanceId>i-1234567890abcdef0</instanceId>\n"
"          <imageId>ami-bff32ccc</imageId>\n"
"          <instanceState>\n"
"            <code>16</code>\n"
"            <name>running</name>\n"
"          </instanceState>\n"
"          <privateDnsName>ip-192-168-1-88.eu-west-1.compute.internal</privateDnsName>\n"
"          <dnsName>ec2-54-194-252-215.eu-west-1.compute.amazonaws.com</dnsName>\n"
"          <reason/>\n"
"          <keyName>my_keypair</keyName>\n"
"          <amiLaunchIndex>0</amiLaunchIndex>\n"
"          <productCodes/>\n"
"          <instanceType>t2.micro</instanceType>\n"
"          <launchTime>2018-05-08T16:46:19.000Z</launchTime>\n"
"          <placement>\n"
"            <availabilityZone>eu-west-1c</availabilityZone>\n"
"            <groupName/>\n"
"            <tenancy>default</tenancy>\n"
"          </placement>\n"
"          <monitoring>\n"
"            <state>disabled</state>\n"
"          </monitoring>\n"
"          <subnetId>subnet-56f5f633</subnetId>\n"
"          <vpcId>vpc-11112222</vpcId>\n"
"          <privateIpAddress>192.168.1.88</privateIpAddress>\n"
"          <ipAddress>54.194.252.215</ipAddress>\n"
"          <tagSet>\n"
"            <item>\n"
"              <key>Name</key>\n"
"              <value>Server_1</value>\n"
"            </item>\n"
"          </tagSet>\n"
"        </item>\n"
"        <item>\n"
"          <instanceId>i-0598c7d356eba48d7</instanceId>\n"
"          <imageId>ami-0abcdef1234567890</imageId>\n"
"          <instanceState><code>80</code><name>stopped</name></instanceState>\n"
"          <instanceType>t2.micro</instanceType>\n"
"          <placement><availabilityZone>eu-west-1a</availabilityZone></placement>\n"
"          <privateIpAddress>192.168.1.89</privateIpAddress>\n"
"          <tagSet>\n"
"            <item><key>aws:autoscaling:groupName</key><value>my-asg</value></item>\n"
"            <item><key>Role</key><value>web &amp; api</value></item>\n"
"          </tagSet>\n"
"        </item>\n"
"      </instancesSet>\n"
"    </item>\n"
"  </reservationSet>\n"
"</DescribeInstancesResponse>\n";

/*
 * DescribeAutoScalingGroups, after the example of
 * https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_DescribeAutoScalingGroups.html
 */
static const char describe_groups[] =
"<DescribeAutoScalingGroupsResponse xmlns=\"http://autoscaling.amazonaws.com/doc/2011-01-01/\">\n"
"  <DescribeAutoScalingGroupsResult>\n"
"    <AutoScalingGroups>\n"
"      <member>\n"
"        <AutoScalingGroupARN>arn:aws:autoscaling:us-west-2:123456789012:autoScalingGroup:12345678-1234-1234-1234-123456789012:autoScalingGroupName/my-asg</AutoScalingGroupARN>\n"
"        <AutoScalingGroupName>my-asg</AutoScalingGroupName>\n"
"        <LaunchTemplate>\n"
"          <LaunchTemplateName>my-launch-template</LaunchTemplateName>\n"
"          <Version>1</Version>\n"
"          <LaunchTemplateId>lt-1234567890abcde12</LaunchTemplateId>\n"
"        </LaunchTemplate>\n"
"        <MinSize>1</MinSize>\n"
"        <MaxSize>5</MaxSize>\n"
"        <DesiredCapacity>2</DesiredCapacity>\n"
"        <DefaultCooldown>300</DefaultCooldown>\n"
"        <AvailabilityZones><member>us-west-2a</member></AvailabilityZones>\n"
"        <HealthCheckType>EC2</HealthCheckType>\n"
"        <HealthCheckGracePeriod>300</HealthCheckGracePeriod>\n"
"        <Instances>\n"
"          <member>\n"
"            <InstanceId>i-05b4f7d5be44822a6</InstanceId>\n"
"            <InstanceType>t3.micro</InstanceType>\n"
"            <AvailabilityZone>us-west-2a</AvailabilityZone>\n"
"            <LifecycleState>InService</LifecycleState>\n"
"            <HealthStatus>Healthy</HealthStatus>\n"
"            <LaunchTemplate>\n"
"              <LaunchTemplateName>my-launch-template</LaunchTemplateName>\n"
"              <Version>1</Version>\n"
"              <LaunchTemplateId>lt-1234567890abcde12</LaunchTemplateId>\n"
"            </LaunchTemplate>\n"
"            <ProtectedFromScaleIn>false</ProtectedFromScaleIn>\n"
"          </member>\n"
"          <member>\n"
"            <InstanceId>i-0c20ac468fa3049e8</InstanceId>\n"
"            <AvailabilityZone>us-west-2a</AvailabilityZone>\n"
"            <LifecycleState>Pending</LifecycleState>\n"
"            <HealthStatus>Unhealthy</HealthStatus>\n"
"          </member>\n"
"        </Instances>\n"
"        <CreatedTime>2023-03-09T22:15:11.611Z</CreatedTime>\n"
"        <VPCZoneIdentifier>subnet-5ea0c127</VPCZoneIdentifier>\n"
"      </member>\n"
"    </AutoScalingGroups>\n"
"  </DescribeAutoScalingGroupsResult>\n"
"  <ResponseMetadata>\n"
"    <RequestId>1ff9b4a5-5d5e-11e3-8b7b-example</RequestId>\n"
"  </ResponseMetadata>\n"
"</DescribeAutoScalingGroupsResponse>\n";

/*
 * TerminateInstances, after the example of
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_TerminateInstances.html
 */
static const char terminate_instances[] =
"<TerminateInstancesResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">\n"
"  <requestId>59dbff89-35bd-4eac-99ed-be587EXAMPLE</requestId>\n"
"  <instancesSet>\n"
"    <item>\n"
"      <instanceId>i-1234567890abcdef0</instanceId>\n"
"      <currentState>\n"
"        <code>32</code>\n"
"        <name>shutting-down</name>\n"
"      </currentState>\n"
"      <previousState>\n"
"        <code>16</code>\n"
"        <name>running</name>\n"
"      </previousState>\n"
"    </item>\n"
"  </instancesSet>\n"
"</TerminateInstancesResponse>\n";

/*
 * DescribeImages, after the example of
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeImages.html
 */
static const char describe_images[] =
"<DescribeImagesResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">\n"
"  <requestId>59dbff89-35bd-4eac-99ed-be587EXAMPLE</requestId>\n"
"  <imagesSet>\n"
"    <item>\n"
"      <imageId>ami-1a2b3c4d</imageId>\n"
"      <imageLocation>amazon/getting-started</imageLocation>\n"
"      <imageState>available</imageState>\n"
"      <imageOwnerId>123456789012</imageOwnerId>\n"
"      <isPublic>true</isPublic>\n"
"      <architecture>i386</architecture>\n"
"      <imageType>machine</imageType>\n"
"      <name>getting-started</name>\n"
"      <description>Image Description</description>\n"
"      <rootDeviceType>ebs</rootDeviceType>\n"
"      <rootDeviceName>/dev/sda</rootDeviceName>\n"
"      <virtualizationType>paravirtual</virtualizationType>\n"
"      <hypervisor>xen</hypervisor>\n"
"      <tagSet><item><key>havoc:image</key><value>web-v2</value></item></tagSet>\n"
"    </item>\n"
"  </imagesSet>\n"
"</DescribeImagesResponse>\n";

/*
 * DescribeLaunchTemplateVersions, after the example of
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeLaunchTemplateVersions.html
 */
static const char describe_lt_versions[] =
"<DescribeLaunchTemplateVersionsResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">\n"
"  <requestId>65cadec1-b364-4354-8ca8-4176dEXAMPLE</requestId>\n"
"  <launchTemplateVersionSet>\n"
"    <item>\n"
"      <createTime>2017-10-31T11:38:52.000Z</createTime>\n"
"      <createdBy>arn:aws:iam::123456789012:root</createdBy>\n"
"      <defaultVersion>false</defaultVersion>\n"
"      <launchTemplateData>\n"
"        <imageId>ami-6057e21a</imageId>\n"
"        <instanceType>t2.medium</instanceType>\n"
"      </launchTemplateData>\n"
"      <launchTemplateId>lt-0a20c965061f64abc</launchTemplateId>\n"
"      <launchTemplateName>MyLaunchTemplate</launchTemplateName>\n"
"      <versionNumber>2</versionNumber>\n"
"    </item>\n"
"    <item>\n"
"      <createTime>2017-10-31T11:10:52.000Z</createTime>\n"
"      <defaultVersion>true</defaultVersion>\n"
"      <launchTemplateData>\n"
"        <imageId>ami-aabbcc11</imageId>\n"
"      </launchTemplateData>\n"
"      <launchTemplateId>lt-0a20c965061f64abc</launchTemplateId>\n"
"      <launchTemplateName>MyLaunchTemplate</launchTemplateName>\n"
"      <versionNumber>1</versionNumber>\n"
"    </item>\n"
"  </launchTemplateVersionSet>\n"
"</DescribeLaunchTemplateVersionsResponse>\n";

/*
 * EC2's error document (Errors/Error), after
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html
 */
static const char ec2_error_fmt[] =
"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
"<Response><Errors><Error><Code>%s</Code><Message>%s</Message></Error>"
"</Errors><RequestID>ea966190-f9aa-478e-9ede-example</RequestID></Response>\n";

/*
 * Auto Scaling's error document (ErrorResponse/Error), as in
 * https://docs.aws.amazon.com/autoscaling/ec2/APIReference/CommonErrors.html
 */
static const char asg_error[] =
"<ErrorResponse xmlns=\"http://autoscaling.amazonaws.com/doc/2011-01-01/\">\n"
"  <Error>\n"
"    <Type>Sender</Type>\n"
"    <Code>ValidationError</Code>\n"
"    <Message>AutoScalingGroup name not found - no such group: nope</Message>\n"
"  </Error>\n"
"  <RequestId>70a76d42-9665-11e2-9fdf-example</RequestId>\n"
"</ErrorResponse>\n";

/* ---- the server ------------------------------------------------------ */

static int	counts[16];	/* requests per scenario, in the server */

static const char *const scenarios[] = {
	"/ok/", "/pages/", "/throttle/", "/5xx/", "/always/", "/auth/",
	"/asgerr/", "/notxml/", "/imdsuser/", "/shape/", "/asgpages/",
	"/hang/", "/resolve/", NULL
};

static int
scenario(const char *target)
{
	int	i;

	for (i = 0; scenarios[i] != NULL; i++) {
		if (strcmp(target, scenarios[i]) == 0)
			return i;
	}
	return -1;
}

static void
bad(int fd, const char *why)
{
	char	body[512];
	int	n;

	n = snprintf(body, sizeof body, ec2_error_fmt, "BadShape", why);
	httpd_respond(fd, 400, "Content-Type: text/xml\r\n", body, (size_t)n);
}

static void
xml(int fd, int status, const char *body)
{
	httpd_respond(fd, status, "Content-Type: text/xml;charset=UTF-8\r\n",
	    body, strlen(body));
}

static void
ec2_error(int fd, int status, const char *code, const char *msg)
{
	char	body[1024];
	int	n;

	n = snprintf(body, sizeof body, ec2_error_fmt, code, msg);
	httpd_respond(fd, status, "Content-Type: text/xml\r\n", body,
	    (size_t)n);
}

/* A page of DescribeInstances with one instance and maybe a token. */
static void
page(int fd, int i, const char *token)
{
	char	body[1024];
	int	n;

	n = snprintf(body, sizeof body,
	    "<DescribeInstancesResponse><requestId>r%d</requestId>"
	    "<reservationSet><item><instancesSet><item>"
	    "<instanceId>i-page%d</instanceId><instanceState><name>running"
	    "</name></instanceState></item></instancesSet></item>"
	    "</reservationSet>%s%s%s</DescribeInstancesResponse>", i, i,
	    token != NULL ? "<nextToken>" : "", token != NULL ? token : "",
	    token != NULL ? "</nextToken>" : "");
	httpd_respond(fd, 200, "", body, (size_t)n);
}

/* Instance metadata (IMDSv2) under /imds. */
static void
imds(int fd, const struct httpd_req *req)
{
	static const char creds[] =
	    "{\"Code\": \"Success\", \"Type\": \"AWS-HMAC\", "
	    "\"AccessKeyId\": \"" IMDS_AKID "\", \"SecretAccessKey\": \""
	    IMDS_SECRET "\", \"Token\": \"" IMDS_SESSION "\", "
	    "\"Expiration\": \"2099-01-01T00:00:00Z\"}";
	char	v[256];

	if (strcmp(req->target, "/imds/latest/api/token") == 0) {
		if (strcmp(req->method, "PUT") != 0 ||
		    httpd_header(req, "X-aws-ec2-metadata-token-ttl-seconds",
		    v, sizeof v) == NULL) {
			httpd_respond(fd, 400, "", "", 0);
			return;
		}
		httpd_respond(fd, 200, "", IMDS_TOKEN, strlen(IMDS_TOKEN));
		return;
	}
	if (httpd_header(req, "X-aws-ec2-metadata-token", v, sizeof v) ==
	    NULL || strcmp(v, IMDS_TOKEN) != 0) {
		httpd_respond(fd, 401, "", "", 0);
		return;
	}
	if (strcmp(req->target, "/imds/latest/meta-data/iam/"
	    "security-credentials/") == 0)
		httpd_respond(fd, 200, "", "chaos-role\n", 11);
	else if (strcmp(req->target, "/imds/latest/meta-data/iam/"
	    "security-credentials/chaos-role") == 0)
		httpd_respond(fd, 200, "", creds, strlen(creds));
	else
		httpd_respond(fd, 404, "", "", 0);
}

/*
 * What every AWS request must be; the reason when it is not. The
 * Authorization header names the key, the date, region and service.
 */
static const char *
check_shape(const struct httpd_req *req, int sc, const char *akid)
{
	char		 auth[512], ctype[128], date[64], want[128];
	const char	*svc = sc == 6 || sc == 10 ? "autoscaling" : "ec2";

	if (sc == 12)
		svc = strstr(req->body, "Action=DescribeAutoScaling") != NULL ?
		    "autoscaling" : "ec2";

	if (strcmp(req->method, "POST") != 0)
		return "not a POST";
	if (strchr(req->target, '?') != NULL)
		return "a query string";
	if (httpd_header(req, "Content-Type", ctype, sizeof ctype) == NULL ||
	    strncmp(ctype, "application/x-www-form-urlencoded", 33) != 0)
		return "not a form";
	if (strncmp(req->body, "Action=", 7) != 0 ||
	    strstr(req->body, "&Version=") == NULL)
		return "no Action and Version";
	if (httpd_header(req, "Authorization", auth, sizeof auth) == NULL)
		return "not signed";
	snprintf(want, sizeof want, "AWS4-HMAC-SHA256 Credential=%s/", akid);
	if (strncmp(auth, want, strlen(want)) != 0)
		return "not signed with SigV4 by the key";
	snprintf(want, sizeof want, "/eu-west-1/%s/aws4_request", svc);
	if (strstr(auth, want) == NULL)
		return "the wrong region or service";
	if (strstr(auth, "SignedHeaders=") == NULL ||
	    strstr(auth, "Signature=") == NULL)
		return "an incomplete signature";
	if (httpd_header(req, "X-Amz-Date", date, sizeof date) == NULL)
		return "no X-Amz-Date";
	if (strstr(req->raw, SECRET) != NULL ||
	    strstr(req->raw, IMDS_SECRET) != NULL)
		return "the secret was sent";
	return NULL;
}

/*
 * The values of a form's parameters prefix1, prefix2, ... (up to the
 * first gap), decoded enough for ids: how many there are, into v.
 */
static size_t
form_list(const char *body, const char *prefix, char v[][32], size_t max)
{
	char		 key[96];
	const char	*p, *e;
	size_t		 n;

	for (n = 0; n < max + 1; n++) {
		snprintf(key, sizeof key, "&%s%zu=", prefix, n + 1);
		if ((p = strstr(body, key)) == NULL)
			break;
		if (n == max)
			return max + 1;
		p += strlen(key);
		e = p + strcspn(p, "&");
		snprintf(v[n], 32, "%.*s", (int)(e - p), p);
	}
	return n;
}

/* The number at the end of "i-big042" (42), or -1. */
static int
atoi_id(const char *id)
{
	long long	v;

	if (strncmp(id, "i-big", 5) != 0 || hv_parse_int(id + 5, &v) == -1)
		return -1;
	return (int)v;
}

/* One instance of DescribeInstances in /resolve/. */
static void
put_instance(struct hv_buf *b, const char *id, const char *state,
    const char *asg_tag)
{
	hv_buf_printf(b, "<item><instanceId>%s</instanceId><imageId>ami-1"
	    "</imageId><instanceState><name>%s</name></instanceState>"
	    "<privateIpAddress>10.1.%d.%d</privateIpAddress><tagSet>", id,
	    state, (int)strlen(id), id[strlen(id) - 1]);
	if (asg_tag != NULL)
		hv_buf_printf(b, "<item><key>aws:autoscaling:groupName</key>"
		    "<value>%s</value></item>", asg_tag);
	hv_buf_puts(b, "</tagSet></item>");
}

/*
 * /resolve/: a fleet. Group "big" has 230 members (i-big000..); every
 * tenth one is stopped, every seventh Pending in the group. EC2 refuses
 * more than 200 values of a filter, Auto Scaling more than 50 ids, as
 * AWS does, so only a client that batches gets through. Tag Role=web
 * finds i-t1 (in group web), i-t2 (a forged group tag, in no group) and
 * i-t3 (in group other, without the tag).
 */
static void
resolve(int fd, const struct httpd_req *req)
{
	static char	 v[260][32];
	struct hv_buf	 b = HV_BUF_INIT;
	const char	*body = req->body;
	int		 running = strstr(body, "=instance-state-name&") != NULL &&
			    strstr(body, "=running") != NULL;
	size_t		 n, i;
	int		 k;

	if (strstr(body, "Action=DescribeAutoScalingGroups&") != NULL) {
		hv_buf_puts(&b, "<DescribeAutoScalingGroupsResponse>"
		    "<DescribeAutoScalingGroupsResult><AutoScalingGroups>");
		if (strstr(body, "AutoScalingGroupNames.member.1=big") !=
		    NULL) {
			hv_buf_puts(&b, "<member><AutoScalingGroupName>big"
			    "</AutoScalingGroupName><MinSize>1</MinSize>"
			    "<MaxSize>300</MaxSize><DesiredCapacity>230"
			    "</DesiredCapacity><Instances>");
			for (k = 0; k < 230; k++)
				hv_buf_printf(&b, "<member><InstanceId>i-big%03d"
				    "</InstanceId><LifecycleState>%s"
				    "</LifecycleState><HealthStatus>Healthy"
				    "</HealthStatus></member>", k, k % 7 == 0 ?
				    "Pending" : "InService");
			hv_buf_puts(&b, "</Instances></member>");
		}
		hv_buf_puts(&b, "</AutoScalingGroups>"
		    "</DescribeAutoScalingGroupsResult>"
		    "</DescribeAutoScalingGroupsResponse>");
	} else if (strstr(body, "Action=DescribeAutoScalingInstances&") !=
	    NULL) {
		if ((n = form_list(body, "InstanceIds.member.", v, 50)) > 50) {
			xml(fd, 400, "<ErrorResponse><Error><Code>"
			    "ValidationError</Code><Message>at most 50 "
			    "instance ids</Message></Error></ErrorResponse>");
			return;
		}
		hv_buf_puts(&b, "<DescribeAutoScalingInstancesResponse>"
		    "<DescribeAutoScalingInstancesResult>"
		    "<AutoScalingInstances>");
		for (i = 0; i < n; i++) {
			const char *g = strcmp(v[i], "i-t1") == 0 ? "web" :
			    strcmp(v[i], "i-t3") == 0 ? "other" : NULL;

			if (g != NULL)
				hv_buf_printf(&b, "<member><InstanceId>%s"
				    "</InstanceId><AutoScalingGroupName>%s"
				    "</AutoScalingGroupName><LifecycleState>"
				    "InService</LifecycleState><HealthStatus>"
				    "HEALTHY</HealthStatus></member>", v[i], g);
		}
		hv_buf_puts(&b, "</AutoScalingInstances>"
		    "</DescribeAutoScalingInstancesResult>"
		    "</DescribeAutoScalingInstancesResponse>");
	} else if (strstr(body, "&Filter.1.Name=instance-id&") != NULL) {
		if ((n = form_list(body, "Filter.1.Value.", v, 200)) > 200) {
			ec2_error(fd, 400, "InvalidParameterValue", "The "
			    "maximum number of filter values is 200");
			return;
		}
		hv_buf_puts(&b, "<DescribeInstancesResponse><reservationSet>"
		    "<item><instancesSet>");
		for (i = 0; i < n; i++) {
			int stopped = atoi_id(v[i]) % 10 == 0;

			if (!(running && stopped))
				put_instance(&b, v[i], stopped ? "stopped" :
				    "running", "big");
		}
		hv_buf_puts(&b, "</instancesSet></item></reservationSet>"
		    "</DescribeInstancesResponse>");
	} else if (strstr(body, "&Filter.1.Name=tag%3ARole&Filter.1.Value.1="
	    "web") != NULL) {
		hv_buf_puts(&b, "<DescribeInstancesResponse><reservationSet>"
		    "<item><instancesSet>");
		put_instance(&b, "i-t3", "running", NULL);
		put_instance(&b, "i-t1", "running", "web");
		put_instance(&b, "i-t2", "running", "web");
		hv_buf_puts(&b, "</instancesSet></item></reservationSet>"
		    "</DescribeInstancesResponse>");
	} else if (strstr(body, "&InstanceId.1=i-missing") != NULL) {
		ec2_error(fd, 400, "InvalidInstanceID.NotFound", "The "
		    "instance ID 'i-missing' does not exist");
		return;
	} else {
		bad(fd, "an unexpected resolve request");
		return;
	}
	xml(fd, 200, b.s);
	hv_buf_release(&b);
}

static void
serve(int fd, const struct httpd_req *req, void *arg)
{
	const char	*why, *akid = AKID;
	char		 tok[1024];
	int		 sc, n;

	(void)arg;
	if (strncmp(req->target, "/imds/", 6) == 0) {
		imds(fd, req);
		return;
	}
	if ((sc = scenario(req->target)) == -1) {
		httpd_respond(fd, 404, "", "", 0);
		return;
	}
	n = ++counts[sc];
	if (sc == 8)
		akid = IMDS_AKID;
	if ((why = check_shape(req, sc, akid)) != NULL) {
		bad(fd, why);
		return;
	}
	if (sc == 8 && (httpd_header(req, "X-Amz-Security-Token", tok,
	    sizeof tok) == NULL || strcmp(tok, IMDS_SESSION) != 0)) {
		bad(fd, "no session token");
		return;
	}
	/* AWS wants the session token signed, as part of the request. */
	if (sc == 8 && (httpd_header(req, "Authorization", tok,
	    sizeof tok) == NULL || strstr(tok, "x-amz-security-token") ==
	    NULL)) {
		bad(fd, "the session token is not signed");
		return;
	}
	switch (sc) {
	case 0:		/* /ok/ */
	case 8:		/* /imdsuser/ */
	case 9:		/* /shape/ */
		xml(fd, 200, describe_instances);
		break;
	case 1:		/* /pages/: three pages, tokens t1 and t2 */
		if (strstr(req->body, "&NextToken=t%2B2") != NULL)
			page(fd, 3, NULL);
		else if (strstr(req->body, "&NextToken=t1") != NULL)
			page(fd, 2, "t+2");
		else
			page(fd, 1, "t1");
		break;
	case 2:		/* /throttle/: twice, then fine */
		if (n <= 2)
			ec2_error(fd, 503, "RequestLimitExceeded",
			    "Request limit exceeded.");
		else
			xml(fd, 200, terminate_instances);
		break;
	case 3:		/* /5xx/: an HTML 502 and a 500, then fine */
		if (n == 1)
			httpd_respond(fd, 502, "Content-Type: text/html\r\n",
			    "<html>proxy " SECRET "</html>", 19 +
			    strlen(SECRET));
		else if (n == 2)
			ec2_error(fd, 500, "InternalError", "An internal "
			    "error has occurred.");
		else
			xml(fd, 200, terminate_instances);
		break;
	case 4:		/* /always/: throttled for ever */
		ec2_error(fd, 400, "RequestLimitExceeded",
		    "Request limit exceeded.");
		break;
	case 5:		/* /auth/ */
		ec2_error(fd, 403, "UnauthorizedOperation", "You are not "
		    "authorized to perform this operation.");
		break;
	case 6:		/* /asgerr/ */
		xml(fd, 400, asg_error);
		break;
	case 7:		/* /notxml/ */
		httpd_respond(fd, 500, "Content-Type: text/html\r\n",
		    "<html><body>oops &nbsp; <b>", 26);
		break;
	case 10:	/* /asgpages/: Auto Scaling's NextToken in *Result */
		if (strstr(req->body, "&NextToken=more") != NULL)
			xml(fd, 200, describe_groups);
		else
			xml(fd, 200, "<DescribeAutoScalingGroupsResponse>"
			    "<DescribeAutoScalingGroupsResult>"
			    "<AutoScalingGroups/><NextToken>more</NextToken>"
			    "</DescribeAutoScalingGroupsResult>"
			    "</DescribeAutoScalingGroupsResponse>");
		break;
	case 12:	/* /resolve/ */
		resolve(fd, req);
		break;
	case 11:	/* /hang/: slower than any request timeout */
		if (fork() == 0) {
			sleep(3);
			xml(fd, 200, describe_instances);
			_exit(0);
		}
		break;
	}
}

/* Each test starts from the same environment, whatever the last did. */
static int
env_reset(void **state)
{
	(void)state;
	unsetenv("AWS_EC2_METADATA_SERVICE_ENDPOINT");
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
	setenv("AWS_ACCESS_KEY_ID", AKID, 1);
	setenv("AWS_SECRET_ACCESS_KEY", SECRET, 1);
	unsetenv("AWS_SESSION_TOKEN");
	unsetenv("AWS_PROFILE");
	unsetenv("AWS_REGION");
	unsetenv("AWS_DEFAULT_REGION");
	/* Never the user's own files. */
	setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials", 1);
	setenv("AWS_CONFIG_FILE", "/nonexistent/config", 1);
	return 0;
}

static int
setup(void **state)
{
	if (httpd_start(&srv, HTTPD_SERIAL, serve, NULL) == -1)
		return -1;
	return env_reset(state);
}

static int
teardown(void **state)
{
	(void)state;
	httpd_stop(&srv);
	return 0;
}

/* ---- helpers --------------------------------------------------------- */

struct run {
	struct hv_loop		*loop;
	struct hv_aws		*aws;
	struct hv_aws_call	*call;
	int			 done;
	char			*url;
};

static void
on_done(struct hv_aws_call *c, void *arg)
{
	struct run	*r = arg;

	assert_ptr_equal(c, r->call);
	r->done++;
}

static int
is_done(void *arg)
{
	return ((struct run *)arg)->done > 0;
}

/* A client for a scenario; deadline_ms 0: the default. */
static void
open_run(struct run *r, const char *path, int64_t deadline_ms)
{
	struct hv_aws_config	cfg;
	struct hv_buf		err = HV_BUF_INIT;

	memset(r, 0, sizeof *r);
	memset(&cfg, 0, sizeof cfg);
	r->loop = hv_loop_new();
	r->url = httpd_url(&srv, path);
	cfg.region = "eu-west-1";
	cfg.endpoint = r->url;
	cfg.deadline_ms = deadline_ms;
	cfg.backoff_ms = 50;
	cfg.backoff_max_ms = 200;
	cfg.request_timeout_ms = 1000;
	r->aws = hv_aws_new(r->loop, &cfg, &err);
	if (r->aws == NULL)
		fail_msg("hv_aws_new: %s", err.s);
	hv_buf_release(&err);
}

/* Runs one call to the end (bounded: 10 s). */
static const struct hv_aws_res *
call(struct run *r, enum hv_aws_service svc, const char *action,
    const char *form, int flags)
{
	struct hv_buf	err = HV_BUF_INIT;

	r->done = 0;
	r->call = hv_aws_call(r->aws, svc, action, form, flags, on_done, r,
	    &err);
	assert_non_null(r->call);
	assert_int_equal(r->done, 0);	/* never from within the call */
	assert_int_equal(hv_loop_run(r->loop, is_done, r,
	    hv_mono_ms() + 10000), 0);
	assert_int_equal(r->done, 1);
	hv_buf_release(&err);
	return hv_aws_result(r->call);
}

static void
close_run(struct run *r)
{
	hv_aws_call_free(r->call);
	hv_aws_free(r->aws);
	hv_loop_free(r->loop);
	free(r->url);
}

/* A result made of documents, for the parsers alone. */
static void
fake_res(struct hv_aws_res *res, const char *const *docs, size_t n)
{
	struct hv_buf	err = HV_BUF_INIT;
	size_t		i;

	memset(res, 0, sizeof *res);
	res->ok = 1;
	res->pages = hv_xcalloc(n, sizeof *res->pages);
	for (i = 0; i < n; i++) {
		res->pages[i] = hv_xml_parse(docs[i], strlen(docs[i]), &err);
		if (res->pages[i] == NULL)
			fail_msg("parse: %s", err.s);
	}
	res->npages = n;
	hv_buf_release(&err);
}

static void
free_res(struct hv_aws_res *res)
{
	size_t	i;

	for (i = 0; i < res->npages; i++)
		hv_xml_free(res->pages[i]);
	free(res->pages);
}

/* ---- xml.c ----------------------------------------------------------- */

static void
test_xml_tree(void **state)
{
	struct hv_buf			 err = HV_BUF_INIT;
	struct hv_xml			*x;
	const struct hv_xml_node	*root, *n;

	(void)state;
	x = hv_xml_parse(describe_instances, strlen(describe_instances),
	    &err);
	assert_non_null(x);
	root = hv_xml_root(x);
	assert_string_equal(root->name, "DescribeInstancesResponse");
	assert_null(root->text);	/* only layout between elements */
	assert_string_equal(hv_xml_get(root, "requestId"),
	    "8f7724cf-496f-496e-8fe3-example");
	n = hv_xml_child(root, "reservationSet/item/instancesSet");
	assert_non_null(n);
	assert_int_equal(n->n, 2);
	assert_ptr_equal(n->kids[0]->parent, n);
	assert_string_equal(hv_xml_get(n->kids[1], "tagSet/item/value"),
	    "my-asg");
	/* Predefined entities are decoded; an empty element has no text. */
	assert_string_equal(n->kids[1]->kids[6]->kids[1]->kids[1]->text,
	    "web & api");
	assert_null(hv_xml_get(n->kids[0], "reason"));
	assert_null(hv_xml_child(root, "nope/requestId"));
	assert_null(hv_xml_get(NULL, "x"));
	hv_xml_free(x);
	hv_xml_free(NULL);
	assert_int_equal(err.len, 0);
}

static void
test_xml_refusals(void **state)
{
	static const char	*bad_docs[] = {
		"<a><b></a>",
		"",
		"not xml at all",
		"<a>&undefined;</a>",
	};
	static const char	 xxe[] =
	    "<?xml version=\"1.0\"?>\n<!DOCTYPE a [<!ENTITY e SYSTEM "
	    "\"file:///etc/passwd\">]>\n<a>&e;</a>";
	static const char	 bomb[] =
	    "<!DOCTYPE a [<!ENTITY x \"xxxxxxxxxx\"><!ENTITY y "
	    "\"&x;&x;&x;&x;&x;&x;&x;&x;&x;&x;\">]><a>&y;&y;</a>";
	struct hv_buf		 err = HV_BUF_INIT, deep = HV_BUF_INIT;
	size_t			 i;
	int			 d;

	(void)state;
	for (i = 0; i < HV_ARRAY_LEN(bad_docs); i++) {
		hv_buf_reset(&err);
		assert_null(hv_xml_parse(bad_docs[i], strlen(bad_docs[i]),
		    &err));
		assert_true(strncmp(err.s, "xml: ", 5) == 0);
	}
	/* The message names the line, never the content. */
	hv_buf_reset(&err);
	assert_null(hv_xml_parse("<a>\n<secret-value>\n</a>", 23, &err));
	assert_non_null(strstr(err.s, "line"));
	assert_null(strstr(err.s, "secret-value"));
	/* No document type: no external entity, no entity expansion. */
	hv_buf_reset(&err);
	assert_null(hv_xml_parse(xxe, strlen(xxe), &err));
	hv_buf_reset(&err);
	assert_null(hv_xml_parse(bomb, strlen(bomb), &err));
	for (d = 0; d < HV_XML_DEPTH + 2; d++)
		hv_buf_puts(&deep, "<a>");
	for (d = 0; d < HV_XML_DEPTH + 2; d++)
		hv_buf_puts(&deep, "</a>");
	hv_buf_reset(&err);
	assert_null(hv_xml_parse(deep.s, deep.len, &err));
	assert_non_null(strstr(err.s, "deeper"));
	hv_buf_release(&deep);
	hv_buf_release(&err);
}

/* ---- the typed layer on the reference's examples ---------------------- */

static void
test_parse_instances(void **state)
{
	struct hv_aws_res		 res;
	struct hv_aws_instances		 l = { NULL, 0 };
	struct hv_buf			 err = HV_BUF_INIT;
	const char			*docs[] = { describe_instances };
	struct hv_aws_instance		*in;

	(void)state;
	fake_res(&res, docs, 1);
	assert_int_equal(hv_aws_parse_instances(&res, &l, &err), 0);
	assert_int_equal(l.n, 2);
	in = hv_aws_instance_find(&l, "i-1234567890abcdef0");
	assert_non_null(in);
	assert_string_equal(in->state, "running");
	assert_string_equal(in->private_ip, "192.168.1.88");
	assert_string_equal(in->image_id, "ami-bff32ccc");
	assert_string_equal(in->type, "t2.micro");
	assert_string_equal(in->az, "eu-west-1c");
	assert_string_equal(in->name, "Server_1");
	assert_null(in->asg);
	in = hv_aws_instance_find(&l, "i-0598c7d356eba48d7");
	assert_string_equal(in->state, "stopped");
	assert_string_equal(in->asg, "my-asg");
	assert_string_equal(hv_aws_tag_get(in->tags, in->ntags, "Role"),
	    "web & api");
	assert_null(hv_aws_tag_get(in->tags, in->ntags, "Name"));
	assert_null(hv_aws_instance_find(&l, "i-none"));
	hv_aws_instances_release(&l);
	/* Another action's answer is refused, not misread. */
	assert_int_equal(hv_aws_parse_groups(&res, &(struct hv_aws_groups){
	    NULL, 0 }, &err), -1);
	assert_non_null(strstr(err.s, "not a DescribeAutoScalingGroups"));
	free_res(&res);
	hv_buf_release(&err);
}

static void
test_parse_groups(void **state)
{
	struct hv_aws_res	 res;
	struct hv_aws_groups	 g = { NULL, 0 };
	struct hv_buf		 err = HV_BUF_INIT;
	const char		*docs[] = { describe_groups };

	(void)state;
	fake_res(&res, docs, 1);
	assert_int_equal(hv_aws_parse_groups(&res, &g, &err), 0);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.v[0].name, "my-asg");
	assert_int_equal(g.v[0].min, 1);
	assert_int_equal(g.v[0].max, 5);
	assert_int_equal(g.v[0].desired, 2);
	assert_string_equal(g.v[0].lt_id, "lt-1234567890abcde12");
	assert_string_equal(g.v[0].lt_name, "my-launch-template");
	assert_string_equal(g.v[0].lt_version, "1");
	assert_null(g.v[0].launch_config);
	assert_int_equal(g.v[0].members.n, 2);
	assert_string_equal(g.v[0].members.v[0].id, "i-05b4f7d5be44822a6");
	assert_string_equal(g.v[0].members.v[0].lifecycle, "InService");
	assert_string_equal(g.v[0].members.v[0].health, "Healthy");
	assert_string_equal(g.v[0].members.v[0].asg, "my-asg");
	assert_string_equal(g.v[0].members.v[0].lt_version, "1");
	assert_string_equal(g.v[0].members.v[1].lifecycle, "Pending");
	assert_string_equal(g.v[0].members.v[1].health, "Unhealthy");
	assert_null(g.v[0].members.v[1].lt_id);
	hv_aws_groups_release(&g);
	free_res(&res);
	hv_buf_release(&err);
}

static void
test_parse_others(void **state)
{
	struct hv_aws_res		 res;
	struct hv_aws_state_changes	 sc = { NULL, 0 };
	struct hv_aws_images		 im = { NULL, 0 };
	struct hv_aws_lt_versions	 lv = { NULL, 0 };
	struct hv_buf			 err = HV_BUF_INIT;
	const char			*d1[] = { terminate_instances };
	const char			*d2[] = { describe_images };
	const char			*d3[] = { describe_lt_versions };

	(void)state;
	fake_res(&res, d1, 1);
	assert_int_equal(hv_aws_parse_state_changes(&res, &sc, &err), 0);
	assert_int_equal(sc.n, 1);
	assert_string_equal(sc.v[0].id, "i-1234567890abcdef0");
	assert_string_equal(sc.v[0].previous, "running");
	assert_string_equal(sc.v[0].current, "shutting-down");
	hv_aws_state_changes_release(&sc);
	free_res(&res);

	fake_res(&res, d2, 1);
	assert_int_equal(hv_aws_parse_images(&res, &im, &err), 0);
	assert_int_equal(im.n, 1);
	assert_string_equal(im.v[0].id, "ami-1a2b3c4d");
	assert_string_equal(im.v[0].name, "getting-started");
	assert_string_equal(im.v[0].state, "available");
	assert_string_equal(im.v[0].description, "Image Description");
	assert_string_equal(hv_aws_tag_get(im.v[0].tags, im.v[0].ntags,
	    "havoc:image"), "web-v2");
	hv_aws_images_release(&im);
	free_res(&res);

	fake_res(&res, d3, 1);
	assert_int_equal(hv_aws_parse_lt_versions(&res, &lv, &err), 0);
	assert_int_equal(lv.n, 2);
	assert_int_equal(lv.v[0].version, 2);
	assert_false(lv.v[0].is_default);
	assert_string_equal(lv.v[0].image_id, "ami-6057e21a");
	assert_string_equal(lv.v[0].lt_name, "MyLaunchTemplate");
	assert_int_equal(lv.v[1].version, 1);
	assert_true(lv.v[1].is_default);
	assert_string_equal(lv.v[1].image_id, "ami-aabbcc11");
	hv_aws_lt_versions_release(&lv);
	free_res(&res);
	assert_int_equal(err.len, 0);
	hv_buf_release(&err);
}

/* ---- calls against the server ---------------------------------------- */

static void
test_call_ok(void **state)
{
	struct run			 r;
	const struct hv_aws_res		*res;
	struct hv_aws_instances		 l = { NULL, 0 };
	struct hv_buf			 err = HV_BUF_INIT, form = HV_BUF_INIT;

	(void)state;
	open_run(&r, "/ok/", 0);
	assert_string_equal(hv_aws_source(r.aws), "environment");
	assert_string_equal(hv_aws_region(r.aws), "eu-west-1");
	/* Values with &, = and spaces stay data. */
	hv_aws_param(&form, "Filter.1.Name", "tag:Role");
	hv_aws_param(&form, "Filter.1.Value.1", "web & api=1");
	assert_string_equal(form.s, "&Filter.1.Name=tag%3ARole"
	    "&Filter.1.Value.1=web%20%26%20api%3D1");
	res = call(&r, HV_AWS_EC2, "DescribeInstances", form.s,
	    HV_AWS_ALL_PAGES);
	if (!res->ok)
		fail_msg("%s", res->error.s);
	assert_int_equal(res->status, 200);
	assert_int_equal(res->npages, 1);
	assert_int_equal(res->requests, 1);
	assert_int_equal(res->retries, 0);
	assert_string_equal(res->request_id,
	    "8f7724cf-496f-496e-8fe3-example");
	assert_int_equal(res->error.len, 0);
	assert_int_equal(hv_aws_parse_instances(res, &l, &err), 0);
	assert_int_equal(l.n, 2);
	hv_aws_instances_release(&l);
	close_run(&r);
	hv_buf_release(&form);
	hv_buf_release(&err);
}

/* Every request is a signed POST of a form: the server refuses others. */
static void
test_request_shape(void **state)
{
	struct run		 r;
	const struct hv_aws_res	*res;
	struct hv_buf		 form = HV_BUF_INIT;
	char			*u;

	(void)state;
	open_run(&r, "/shape/", 0);
	hv_aws_param_list(&form, "InstanceId", (const char *const[]){
	    "i-1", "i-2" }, 2);
	assert_string_equal(form.s, "&InstanceId.1=i-1&InstanceId.2=i-2");
	res = call(&r, HV_AWS_EC2, "DescribeInstances", form.s, 0);
	if (!res->ok)
		fail_msg("%s", res->error.s);
	close_run(&r);

	/* The checks can fail: an endpoint with a query string is caught. */
	u = httpd_url(&srv, "/shape/?Action=DescribeInstances");
	open_run(&r, "/shape/", 0);
	hv_aws_free(r.aws);
	r.aws = hv_aws_new(r.loop, &(struct hv_aws_config){ .region =
	    "eu-west-1", .endpoint = u }, NULL);
	assert_non_null(r.aws);
	res = call(&r, HV_AWS_EC2, "DescribeInstances", NULL, 0);
	assert_false(res->ok);
	close_run(&r);
	free(u);
	/* An action that is not a word never becomes a request. */
	open_run(&r, "/shape/", 0);
	assert_null(hv_aws_call(r.aws, HV_AWS_EC2, "Describe&Action=x",
	    NULL, 0, on_done, &r, &form));
	assert_non_null(strstr(form.s, "not an action name"));
	close_run(&r);
	hv_buf_release(&form);
}

static void
test_pages(void **state)
{
	struct run		 r;
	const struct hv_aws_res	*res;
	struct hv_aws_instances	 l = { NULL, 0 };
	struct hv_aws_groups	 g = { NULL, 0 };
	struct hv_buf		 err = HV_BUF_INIT;

	(void)state;
	open_run(&r, "/pages/", 0);
	res = call(&r, HV_AWS_EC2, "DescribeInstances", NULL,
	    HV_AWS_ALL_PAGES);
	if (!res->ok)
		fail_msg("%s", res->error.s);
	assert_int_equal(res->npages, 3);
	assert_int_equal(res->requests, 3);
	assert_string_equal(res->request_id, "r3");
	assert_int_equal(hv_aws_parse_instances(res, &l, &err), 0);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.v[0].id, "i-page1");
	assert_string_equal(l.v[2].id, "i-page3");
	hv_aws_instances_release(&l);
	hv_aws_call_free(r.call);
	/* Without HV_AWS_ALL_PAGES: the first page only. */
	res = call(&r, HV_AWS_EC2, "DescribeInstances", NULL, 0);
	assert_true(res->ok);
	assert_int_equal(res->npages, 1);
	close_run(&r);

	open_run(&r, "/asgpages/", 0);
	res = call(&r, HV_AWS_ASG, "DescribeAutoScalingGroups", NULL,
	    HV_AWS_ALL_PAGES);
	if (!res->ok)
		fail_msg("%s", res->error.s);
	assert_int_equal(res->npages, 2);
	assert_int_equal(hv_aws_parse_groups(res, &g, &err), 0);
	assert_int_equal(g.n, 1);
	hv_aws_groups_release(&g);
	close_run(&r);
	hv_buf_release(&err);
}

static void
test_retry_throttling(void **state)
{
	struct run		 r;
	const struct hv_aws_res	*res;

	(void)state;
	open_run(&r, "/throttle/", 0);
	res = call(&r, HV_AWS_EC2, "TerminateInstances",
	    "&InstanceId.1=i-1234567890abcdef0", 0);
	if (!res->ok)
		fail_msg("%s", res->error.s);
	assert_int_equal(res->requests, 3);
	assert_int_equal(res->retries, 2);
	/* Two backoffs of at least 25 and 50 ms (half of each bound). */
	assert_true(res->elapsed_ms >= 75);
	close_run(&r);

	open_run(&r, "/5xx/", 0);
	res = call(&r, HV_AWS_EC2, "TerminateInstances", NULL, 0);
	if (!res->ok)
		fail_msg("%s", res->error.s);
	assert_int_equal(res->requests, 3);
	close_run(&r);
}

/* Throttled for ever: it gives up before the deadline, not after. */
static void
test_retry_deadline(void **state)
{
	struct run		 r;
	const struct hv_aws_res	*res;
	int64_t			 t0;

	(void)state;
	open_run(&r, "/always/", 800);
	t0 = hv_mono_ms();
	res = call(&r, HV_AWS_EC2, "DescribeInstances", NULL, 0);
	assert_false(res->ok);
	assert_true(hv_mono_ms() - t0 <= 800 + 200);
	assert_true(res->requests > 2);
	assert_true(res->requests <= HV_AWS_ATTEMPTS);
	assert_string_equal(res->code, "RequestLimitExceeded");
	assert_true(strncmp(res->error.s, "aws ec2 DescribeInstances: "
	    "RequestLimitExceeded: Request limit exceeded. (gave up after",
	    87) == 0);
	close_run(&r);

	/* A server that does not answer: bounded by the deadline too. */
	open_run(&r, "/hang/", 1500);
	t0 = hv_mono_ms();
	res = call(&r, HV_AWS_EC2, "DescribeInstances", NULL, 0);
	assert_false(res->ok);
	assert_true(hv_mono_ms() - t0 <= 1500 + 300);
	assert_non_null(strstr(res->error.s, "timed out"));
	close_run(&r);
}

/* An authorization error is final at once, with AWS's words. */
static void
test_no_retry_auth(void **state)
{
	struct run		 r;
	const struct hv_aws_res	*res;

	(void)state;
	open_run(&r, "/auth/", 0);
	res = call(&r, HV_AWS_EC2, "TerminateInstances",
	    "&InstanceId.1=i-1", 0);
	assert_false(res->ok);
	assert_int_equal(res->status, 403);
	assert_int_equal(res->requests, 1);
	assert_int_equal(res->retries, 0);
	assert_string_equal(res->code, "UnauthorizedOperation");
	assert_string_equal(res->error.s, "aws ec2 TerminateInstances: "
	    "UnauthorizedOperation: You are not authorized to perform this "
	    "operation.");
	assert_string_equal(res->request_id,
	    "ea966190-f9aa-478e-9ede-example");
	assert_int_equal(res->npages, 0);
	close_run(&r);

	open_run(&r, "/asgerr/", 0);
	res = call(&r, HV_AWS_ASG, "DescribeAutoScalingGroups",
	    "&AutoScalingGroupNames.member.1=nope", 0);
	assert_false(res->ok);
	assert_int_equal(res->requests, 1);
	assert_string_equal(res->error.s, "aws autoscaling "
	    "DescribeAutoScalingGroups: ValidationError: AutoScalingGroup "
	    "name not found - no such group: nope");
	assert_string_equal(res->request_id,
	    "70a76d42-9665-11e2-9fdf-example");
	close_run(&r);
}

/* A body that is not AWS's XML is never shown, nor what it holds. */
static void
test_no_raw_body(void **state)
{
	struct run		 r;
	const struct hv_aws_res	*res;

	(void)state;
	open_run(&r, "/notxml/", 600);
	res = call(&r, HV_AWS_EC2, "DescribeInstances", NULL, 0);
	assert_false(res->ok);
	assert_int_equal(res->status, 500);
	assert_true(strncmp(res->error.s, "aws ec2 DescribeInstances: HTTP "
	    "500", 35) == 0);
	assert_null(strstr(res->error.s, "html"));
	assert_true(res->requests > 1);	/* a 5xx is retried */
	close_run(&r);
}

/* The secret is in no message, whatever fails. */
static void
test_secret_never_shown(void **state)
{
	struct run		 r;
	const struct hv_aws_res	*res;
	const char		*paths[] = { "/auth/", "/notxml/", "/hang/" };
	size_t			 i;

	(void)state;
	for (i = 0; i < HV_ARRAY_LEN(paths); i++) {
		open_run(&r, paths[i], 700);
		res = call(&r, HV_AWS_EC2, "DescribeInstances", NULL, 0);
		assert_false(res->ok);
		assert_null(strstr(res->error.s, SECRET));
		assert_null(strstr(res->error.s, AKID));
		close_run(&r);
	}
}

static void
write_file(const char *path, const char *text)
{
	FILE	*f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* The shared files: a named profile, AWS_PROFILE, refusals. */
static void
test_profiles(void **state)
{
	char			 dir[] = "/tmp/havoc-aws-XXXXXX";
	char			*cred, *conf;
	struct hv_loop		*loop = hv_loop_new();
	struct hv_aws		*a;
	struct hv_buf		 err = HV_BUF_INIT;
	struct hv_aws_config	 cfg;

	(void)state;
	assert_non_null(mkdtemp(dir));
	cred = hv_xasprintf("%s/credentials", dir);
	conf = hv_xasprintf("%s/config", dir);
	write_file(cred, "[default]\naws_access_key_id = AKIADEFAULT\n"
	    "aws_secret_access_key = s3cr3t-default\n\n# a comment\n"
	    "[chaos]\n  aws_access_key_id=AKIACHAOS  \n"
	    "aws_secret_access_key = s3cr3t-chaos\n"
	    "[assume]\nrole_arn = arn:aws:iam::1:role/x\n");
	write_file(conf, "[default]\nregion = us-east-1\n"
	    "[profile chaos]\nregion = eu-central-1\n");
	setenv("AWS_SHARED_CREDENTIALS_FILE", cred, 1);
	setenv("AWS_CONFIG_FILE", conf, 1);
	memset(&cfg, 0, sizeof cfg);

	/* A named profile wins over the environment; its region too. */
	cfg.profile = "chaos";
	a = hv_aws_new(loop, &cfg, &err);
	if (a == NULL)
		fail_msg("%s", err.s);
	assert_string_equal(hv_aws_source(a), "profile chaos");
	assert_string_equal(hv_aws_region(a), "eu-central-1");
	hv_aws_free(a);
	/* A config file of /dev/null is none, as for the AWS CLI. */
	setenv("AWS_CONFIG_FILE", "/dev/null", 1);
	cfg.region = "eu-west-1";
	a = hv_aws_new(loop, &cfg, &err);
	if (a == NULL)
		fail_msg("%s", err.s);
	assert_string_equal(hv_aws_source(a), "profile chaos");
	hv_aws_free(a);
	cfg.region = NULL;
	setenv("AWS_CONFIG_FILE", conf, 1);
	/* The region given wins. */
	cfg.region = "ap-south-1";
	a = hv_aws_new(loop, &cfg, &err);
	assert_string_equal(hv_aws_region(a), "ap-south-1");
	hv_aws_free(a);
	cfg.region = NULL;

	/* The chain: the environment first, then AWS_PROFILE's. */
	cfg.profile = NULL;
	a = hv_aws_new(loop, &cfg, &err);
	assert_string_equal(hv_aws_source(a), "environment");
	assert_string_equal(hv_aws_region(a), "us-east-1");
	hv_aws_free(a);
	unsetenv("AWS_ACCESS_KEY_ID");
	setenv("AWS_PROFILE", "chaos", 1);
	a = hv_aws_new(loop, &cfg, &err);
	assert_string_equal(hv_aws_source(a), "profile chaos");
	hv_aws_free(a);
	unsetenv("AWS_PROFILE");
	a = hv_aws_new(loop, &cfg, &err);
	assert_string_equal(hv_aws_source(a), "profile default");
	hv_aws_free(a);

	/* Refusals, each naming the problem and no secret. */
	cfg.profile = "missing";
	assert_null(hv_aws_new(loop, &cfg, &err));
	assert_non_null(strstr(err.s, "no profile missing"));
	hv_buf_reset(&err);
	cfg.profile = "assume";
	assert_null(hv_aws_new(loop, &cfg, &err));
	assert_non_null(strstr(err.s, "role_arn is not supported"));
	hv_buf_reset(&err);
	cfg.profile = NULL;
	setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/c", 1);
	setenv("AWS_CONFIG_FILE", "/nonexistent/c", 1);
	assert_null(hv_aws_new(loop, &cfg, &err));
	assert_non_null(strstr(err.s, "no credentials"));
	assert_non_null(strstr(err.s, "AWS_EC2_METADATA_DISABLED"));
	hv_buf_reset(&err);
	setenv("AWS_ACCESS_KEY_ID", AKID, 1);
	assert_null(hv_aws_new(loop, &cfg, &err));
	assert_non_null(strstr(err.s, "no region"));
	hv_buf_reset(&err);
	cfg.region = "eu-west-1";
	cfg.endpoint = "file:///etc/passwd";
	assert_null(hv_aws_new(loop, &cfg, &err));
	assert_non_null(strstr(err.s, "endpoint"));
	assert_null(strstr(err.s, "s3cr3t"));

	unlink(cred);
	unlink(conf);
	rmdir(dir);
	free(cred);
	free(conf);
	hv_buf_release(&err);
	hv_loop_free(loop);
}

/* IMDSv2: token, role, credentials; the session token is sent. */
static void
test_imds(void **state)
{
	struct run		 r;
	const struct hv_aws_res	*res;
	struct hv_aws_config	 cfg;
	struct hv_buf		 err = HV_BUF_INIT;
	char			*imds = httpd_url(&srv, "/imds");

	(void)state;
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	unsetenv("AWS_EC2_METADATA_DISABLED");
	setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds, 1);
	memset(&r, 0, sizeof r);
	memset(&cfg, 0, sizeof cfg);
	r.loop = hv_loop_new();
	r.url = httpd_url(&srv, "/imdsuser/");
	cfg.region = "eu-west-1";
	cfg.endpoint = r.url;
	r.aws = hv_aws_new(r.loop, &cfg, &err);
	if (r.aws == NULL)
		fail_msg("%s", err.s);
	assert_string_equal(hv_aws_source(r.aws), "none yet");
	res = call(&r, HV_AWS_EC2, "DescribeInstances", NULL, 0);
	if (!res->ok)
		fail_msg("%s", res->error.s);
	assert_string_equal(hv_aws_source(r.aws), "instance metadata");
	hv_aws_call_free(r.call);
	/* The second call reuses them: one request. */
	res = call(&r, HV_AWS_EC2, "DescribeInstances", NULL, 0);
	assert_true(res->ok);
	assert_int_equal(res->requests, 1);
	close_run(&r);

	/* Metadata that does not answer: a clear error, in bounded time. */
	free(imds);
	imds = hv_xasprintf("http://127.0.0.1:%d", httpd_unused_port());
	setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds, 1);
	open_run(&r, "/ok/", 0);
	res = call(&r, HV_AWS_EC2, "DescribeInstances", NULL, 0);
	assert_false(res->ok);
	assert_non_null(strstr(res->error.s, "instance metadata"));
	close_run(&r);

	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
	setenv("AWS_ACCESS_KEY_ID", AKID, 1);
	setenv("AWS_SECRET_ACCESS_KEY", SECRET, 1);
	unsetenv("AWS_EC2_METADATA_SERVICE_ENDPOINT");
	free(imds);
	hv_buf_release(&err);
}

struct rrun {
	int	done;
};

static void
on_resolved(struct hv_aws_resolve *r, void *arg)
{
	(void)r;
	((struct rrun *)arg)->done++;
}

static int
resolved(void *arg)
{
	return ((struct rrun *)arg)->done > 0;
}

/* Resolves sel to the end (bounded); the resolution is the caller's. */
static struct hv_aws_resolve *
resolve_run(struct run *r, const struct hv_aws_selector *sel)
{
	struct hv_buf		 err = HV_BUF_INIT;
	struct hv_aws_resolve	*res;
	struct rrun		 rr = { 0 };

	res = hv_aws_resolve_start(r->aws, sel, on_resolved, &rr, &err);
	if (res == NULL)
		fail_msg("%s", err.s);
	assert_int_equal(rr.done, 0);
	assert_int_equal(hv_loop_run(r->loop, resolved, &rr,
	    hv_mono_ms() + 10000), 0);
	assert_int_equal(rr.done, 1);
	hv_buf_release(&err);
	return res;
}

/* A group of 230: batches of 200 and 50, merged, sorted, filtered. */
static void
test_resolve_asg(void **state)
{
	struct run			 r;
	struct hv_aws_selector		 sel;
	struct hv_aws_resolve		*res;
	const struct hv_aws_instances	*l;
	const struct hv_aws_group	*g;
	struct hv_buf			 err = HV_BUF_INIT;
	size_t				 i;

	(void)state;
	open_run(&r, "/resolve/", 0);
	memset(&sel, 0, sizeof sel);
	sel.asg = "big";
	res = resolve_run(&r, &sel);
	l = hv_aws_resolved(res, &err);
	if (l == NULL)
		fail_msg("%s", err.s);
	assert_int_equal(l->n, 230);
	for (i = 0; i < l->n; i++) {
		char	id[32];

		snprintf(id, sizeof id, "i-big%03zu", i);
		assert_string_equal(l->v[i].id, id);	/* sorted */
		assert_string_equal(l->v[i].asg, "big");
		assert_string_equal(l->v[i].state, i % 10 == 0 ? "stopped" :
		    "running");
		assert_string_equal(l->v[i].lifecycle, i % 7 == 0 ?
		    "Pending" : "InService");
		assert_string_equal(l->v[i].health, "Healthy");
		assert_non_null(l->v[i].private_ip);
	}
	g = hv_aws_resolved_group(res);
	assert_non_null(g);
	assert_int_equal(g->desired, 230);
	hv_aws_resolve_free(res);

	/* Running only: EC2 is asked to filter; 23 stopped are left out. */
	sel.running_only = 1;
	res = resolve_run(&r, &sel);
	l = hv_aws_resolved(res, &err);
	assert_non_null(l);
	assert_int_equal(l->n, 207);
	for (i = 0; i < l->n; i++)
		assert_string_equal(l->v[i].state, "running");
	hv_aws_resolve_free(res);

	/* A group that does not exist is an error, not an empty list. */
	sel.asg = "none";
	res = resolve_run(&r, &sel);
	assert_null(hv_aws_resolved(res, &err));
	assert_string_equal(err.s, "aws: no Auto Scaling group none");
	assert_null(hv_aws_resolved_group(res));
	hv_aws_resolve_free(res);
	close_run(&r);
	hv_buf_release(&err);
}

/*
 * By tags: the group an instance belongs to is Auto Scaling's word; a
 * forged aws:autoscaling:groupName tag does not put it in a group.
 */
static void
test_resolve_tags_ids(void **state)
{
	struct run			 r;
	struct hv_aws_selector		 sel;
	struct hv_aws_resolve		*res;
	const struct hv_aws_instances	*l;
	struct hv_aws_tag		 tag = { "Role", "web" };
	const char			*ids[] = { "i-missing" };
	struct hv_buf			 err = HV_BUF_INIT;

	(void)state;
	open_run(&r, "/resolve/", 0);
	memset(&sel, 0, sizeof sel);
	sel.tags = &tag;
	sel.ntags = 1;
	res = resolve_run(&r, &sel);
	l = hv_aws_resolved(res, &err);
	if (l == NULL)
		fail_msg("%s", err.s);
	assert_int_equal(l->n, 3);
	assert_string_equal(l->v[0].id, "i-t1");
	assert_string_equal(l->v[0].asg, "web");
	assert_string_equal(l->v[0].lifecycle, "InService");
	assert_string_equal(l->v[1].id, "i-t2");
	assert_null(l->v[1].asg);		/* the tag lied */
	assert_null(l->v[1].lifecycle);
	assert_string_equal(l->v[2].id, "i-t3");
	assert_string_equal(l->v[2].asg, "other");
	assert_null(hv_aws_resolved_group(res));
	hv_aws_resolve_free(res);

	/* An id that does not exist: EC2's error, not an empty list. */
	memset(&sel, 0, sizeof sel);
	sel.ids = ids;
	sel.nids = 1;
	res = resolve_run(&r, &sel);
	assert_null(hv_aws_resolved(res, &err));
	assert_string_equal(err.s, "aws ec2 DescribeInstances: "
	    "InvalidInstanceID.NotFound: The instance ID 'i-missing' does "
	    "not exist");
	hv_aws_resolve_free(res);

	/* Exactly one way to select. */
	hv_buf_reset(&err);
	sel.asg = "big";
	assert_null(hv_aws_resolve_start(r.aws, &sel, on_resolved, NULL,
	    &err));
	assert_non_null(strstr(err.s, "one of asg, tags or ids"));
	hv_buf_reset(&err);
	memset(&sel, 0, sizeof sel);
	assert_null(hv_aws_resolve_start(r.aws, &sel, on_resolved, NULL,
	    &err));
	close_run(&r);
	hv_buf_release(&err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_xml_tree, env_reset),
		cmocka_unit_test_setup(test_xml_refusals, env_reset),
		cmocka_unit_test_setup(test_parse_instances, env_reset),
		cmocka_unit_test_setup(test_parse_groups, env_reset),
		cmocka_unit_test_setup(test_parse_others, env_reset),
		cmocka_unit_test_setup(test_call_ok, env_reset),
		cmocka_unit_test_setup(test_request_shape, env_reset),
		cmocka_unit_test_setup(test_pages, env_reset),
		cmocka_unit_test_setup(test_retry_throttling, env_reset),
		cmocka_unit_test_setup(test_retry_deadline, env_reset),
		cmocka_unit_test_setup(test_no_retry_auth, env_reset),
		cmocka_unit_test_setup(test_no_raw_body, env_reset),
		cmocka_unit_test_setup(test_secret_never_shown, env_reset),
		cmocka_unit_test_setup(test_profiles, env_reset),
		cmocka_unit_test_setup(test_imds, env_reset),
		cmocka_unit_test_setup(test_resolve_asg, env_reset),
		cmocka_unit_test_setup(test_resolve_tags_ids, env_reset),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
