# CertAuthzRevocationURL (INTERFACE §9): CRLs from a CA's distribution
# point, over HTTP and HTTPS (t/lib/CertAuthzCRLServer.pm, run by this
# test), fetched by the loader of an httpd of this test once per interval
# with conditional GETs; a replaced CRL is taken within the interval; a
# truncated, garbage, oversized or slow response, an HTTP error or a
# distribution point that is down keeps the last good list, each reported
# once; start-up needs a list (fetched, or the copy of the last fetch);
# configtest needs no network.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use CertAuthzTest;
use CertAuthzCLI;
use CertAuthzCRLServer;
use CertAuthzInstance;
use JSON::PP ();
use Time::HiRes qw(sleep time);

plan tests => 44;

my $CA = pki('fleet-ca');
my $logs = Apache::Test::vars('t_logs');
sub dev { "fleet-ca/devices/$_[0]" }
my $crl0 = slurp("$CA/crl.pem");

my $plain = CertAuthzCRLServer->new(dir => "$logs/dp-http");
my $tls = CertAuthzCRLServer->new(
    dir => "$logs/dp-https",
    tls => {SSL_cert_file => pki('server.crt'), SSL_key_file => pki('server.key')});
$plain->body($crl0, time - 3600);
$tls->body($crl0, time - 3600);

sub vhost {
    my ($http_url, $https_url) = @_;
    return <<"EOF";
    SSLCACertificateFile "$CA/ca.crt"
    SSLVerifyClient optional
    SSLVerifyDepth 1
    CertAuthzRevocationURL $http_url timeout=2 maxsize=64K
    CertAuthzRevocationURL $https_url ca=${\ pki('ca.crt')}
    CertAuthzCRLVerifyCA "$CA/ca.crt"
    CertAuthzRevocationCheckInterval 1
    <Location /p/valid>
        Require cert-valid
    </Location>
    <Location /status>
        SetHandler certauthz-status
        Require all granted
    </Location>
EOF
}
my $srv = CertAuthzInstance->new(name => 'crlurl', vhost => vhost($plain->url, $tls->url));

sub status_of { $srv->get_status('/p/valid', cert => dev($_[0])) }
sub until_status {
    my ($dev, $want, $limit) = @_;
    my $t0 = time;
    while (time - $t0 < $limit) {
        return time - $t0 if status_of($dev) == $want;
        sleep 0.05;
    }
    return undef;
}
sub sources {
    my $st = eval { JSON::PP->new->decode($srv->get('/status')->decoded_content) } || {};
    return { map { $_->{path} => $_ } @{ $st->{sources} || [] } };
}
sub wait_log {
    my ($mark, $re, $secs) = @_;
    my $end = time + $secs;
    while (time < $end) {
        return 1 if $srv->log_since($mark) =~ $re;
        sleep 0.1;
    }
    return 0;
}
# The CRL of fleet-ca after `certauthz revoke` of a device.
sub revoke {
    my ($rc, undef, $err) = certauthz('revoke', $CA, $_[0]);
    die "revoke $_[0]: $err" if $rc != 0;
    return slurp("$CA/crl.pem");
}

# --- start-up -------------------------------------------------------------
my ($rc, $out) = $srv->configtest;
is($rc, 0, 'configtest accepts http: and https: distribution points') or diag($out);
my ($ok, $why) = $srv->start;
ok($ok, 'the server starts, having fetched both') or diag($why);
my $src = sources();
ok(($src->{$plain->url}{format} // '') eq 'crl-pem' && ($src->{$tls->url}{format} // '') eq 'crl-pem'
   && $src->{$plain->url}{version} == 1,
   'status page: each URL is a source, crl-pem, version 1') or diag(JSON::PP->new->encode($src));
like($src->{$plain->url}{mtime} // '', qr/^\d{4}-/, 'status page: mtime is the Last-Modified');
is(status_of('fleet-url'), 200, 'a device no CRL names is let in');

# --- conditional GETs -------------------------------------------------------
sleep 3.5;
my $reqs = $plain->requests;
my @cond = $reqs =~ /^GET \S+ inm="[0-9a-f]+" ims=\S.* status=304/mg;
ok(@cond >= 2, 'HTTP: later fetches are conditional (If-None-Match, If-Modified-Since) '
   . 'and answered 304 (' . scalar(@cond) . ')') or diag($reqs);
my @all = $reqs =~ /^GET /mg;
ok(@all <= 6, 'about one fetch per interval (' . scalar(@all) . ' in 3.5 s and the start)');
like($tls->requests, qr/status=304/, 'HTTPS: likewise');
is(sources()->{$plain->url}{version}, 1, 'a 304 changes nothing (still version 1)');

# --- a replaced CRL ---------------------------------------------------------
my $crl1 = revoke('fleet-url');
# fleet-ca is shared with t/fleet.t, which may have revoked devices first.
my $n1 = () = `openssl crl -in $CA/crl.pem -noout -text` =~ /Serial Number:/g;
my $mark = $srv->log_mark;
$tls->body($crl1);
my $t = until_status('fleet-url', 403, 6);
ok(defined $t && $t <= 2.5, sprintf('HTTPS: a replaced CRL is taken within the interval (%s)',
                                    defined $t ? sprintf('%.2f s', $t) : 'not within 6 s'));
ok(wait_log($mark, qr/CertAuthzRevocationURL \Q${\ $tls->url}\E: reloaded, $n1 entries \(crl-pem\), version 2/, 2),
   'the reload is logged at notice');
$mark = $srv->log_mark;
$plain->body($crl1);
ok(wait_log($mark, qr/CertAuthzRevocationURL \Q${\ $plain->url}\E: reloaded, $n1 entries/, 4),
   'HTTP: the replaced CRL is taken as well');
is(status_of('fleet-keep'), 200, 'other devices are let in');

# --- the same bytes without validators: nothing new --------------------------
$plain->mode('noval');
sleep 2.5;
is(sources()->{$plain->url}{version}, 2, 'a 200 with the body in force publishes nothing');

# --- every way a distribution point fails -----------------------------------
my @failures = (
    ['garbage',          qr/line 1: unexpected/],
    ['truncated',        qr/partial file|Transferred a partial/i],
    ['oversized',        qr/announces more than 65536 bytes/],
    ['oversized-stream', qr/response is larger than 65536 bytes/],
    ['slow',             qr/no complete response within 2000 ms/],
    ['error',            qr/HTTP status 500/],
);
for my $f (@failures) {
    my ($mode, $re) = @$f;
    $mark = $srv->log_mark;
    $plain->mode($mode);
    my $seen = wait_log($mark, $re, 8);
    # Two more intervals: the same failure again is not reported again.
    sleep 2.2;
    my @codes = (status_of('fleet-url'), status_of('fleet-keep'));
    is("@codes", '403 200', "$mode: the last good list is kept");
    my @n = $srv->log_since($mark) =~ /\[certauthz:error\].*CertAuthzRevocationURL \Q${\ $plain->url}\E.*keeping the last good list/g;
    ok($seen && @n == 1, "$mode: reported once at error (" . scalar(@n) . ')')
        or diag($srv->log_since($mark));
}
my $s = sources()->{$plain->url};
ok(($s->{last_error} // '') =~ /HTTP status 500/ && $s->{reload_failures} >= 6 && $s->{version} == 2,
   'status page: the last error, the failures, the version in force')
    or diag(JSON::PP->new->encode($s));

$mark = $srv->log_mark;
$plain->mode('ok');
ok(wait_log($mark, qr/answers again with the version in force/, 4),
   'back to normal: logged once at notice');
sleep 1.2;
ok(!defined sources()->{$plain->url}{last_error}, '...and the status page shows no error');

# --- down, and restarts -------------------------------------------------------
$mark = $srv->log_mark;
$plain->stop;
ok(wait_log($mark, qr/\Q${\ $plain->url}\E: Couldn't connect to server \(Connection refused\); keeping/, 4),
   'distribution point down: reported, the last good list kept');
is(status_of('fleet-url'), 403, '...and enforced');
($ok, $why) = $srv->graceful;
ok($ok, 'a graceful restart while it is down succeeds') or diag($why);
like($srv->log_since($mark), qr/\Q${\ $plain->url}\E: Couldn't connect.*starting with the copy fetched/,
     '...starting with the copy of the last fetch, said at error');
is(status_of('fleet-url'), 403, '...which is enforced');
ok(defined sources()->{$plain->url}{last_error}, '...and the status page shows why');

my $cold = CertAuthzInstance->new(name => 'crlurl_cold', vhost => vhost($plain->url, $tls->url));
($rc, $out) = $cold->configtest;
is($rc, 0, 'configtest needs no network: Syntax OK with the distribution point down') or diag($out);
($ok, $why) = $cold->start;
ok(!$ok, 'a first start with the distribution point down and no earlier copy fails');
like($why, qr/CertAuthzRevocationURL \Q${\ $plain->url}\E: Couldn't connect.*no copy of an earlier fetch/,
     '...naming the URL and why') or diag($why);
$cold->stop;

# --- configuration errors -----------------------------------------------------
for my $case (['ftp://127.0.0.1/crl', qr/not an http: or https: URL/],
              ['http:///crl', qr/not an http: or https: URL with a host/],
              ['http://127.0.0.1/crl timeout=0', qr/'timeout=0' is not a number of seconds/],
              ['http://127.0.0.1/crl maxsize=2G', qr/'maxsize=2G' is not a size/],
              ['http://127.0.0.1/crl ca=/nonexistent', qr/names no readable file/],
              ['http://127.0.0.1/crl retries=3', qr/unknown option 'retries=3'/]) {
    my $bad = CertAuthzInstance->new(name => 'crlurl_bad', vhost => "    CertAuthzRevocationURL $case->[0]\n");
    my ($c, $o) = $bad->configtest;
    ok($c != 0 && $o =~ $case->[1] && $o =~ /line \d+ of/, "configtest refuses CertAuthzRevocationURL $case->[0]")
        or diag($o);
}

$srv->stop;
$tls->stop;
