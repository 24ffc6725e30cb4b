# CertAuthzReportOnly: report-only cert-* lines are evaluated, logged and
# counted, and never change the outcome of their container: beside an old
# rule the outcome is always the old rule's, the log carries the would-be
# decision, and alone such a line never grants.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use CertAuthzTest;
use CertAuthzEcho qw(http_exchange);
use JSON::PP ();

plan tests => 38;

my $log = Apache::Test::vars('t_logs') . '/reportonly.log';

# logged(PATH, CERT) -> {code, fields => [uri, status, device, decision, reason, rule], err}
sub logged {
    my ($path, $cert) = @_;
    my $off = -s $log || 0;
    my $emark = error_log_mark();
    my $code = get_status('certauthz_ro', $path, $cert ? (cert => $cert) : ());
    return { code => $code, fields => [log_fields($log, $off, $path)],
             err => error_log_since($emark) };
}
sub summary { join '|', @{ $_[0]{fields} }[1, 3, 4, 5] }
sub would_lines { scalar(() = $_[0]{err} =~ /CERTAUTHZ0310: would-deny/g) }

my $l;

# ---- The trial: new rule (OU=Devices) beside the old one (O=MyOrg) ------
my $rule = 'cert-subject OU=Devices';
$l = logged('/ro/trial', 'client');
is(summary($l), "200|would-grant|ok|$rule",
   'trial, a device both rules accept: the old rule lets it in, the log says would-grant');
is(would_lines($l), 0, '...and no would-deny line');
$l = logged('/ro/trial', 'id_other');
is(summary($l), "200|would-deny|no-match|$rule",
   'trial, a device the new rule would refuse: the old rule still lets it in, the log says would-deny');
like($l->{err}, qr/CERTAUTHZ0310: would-deny: device="id-other" reason=no-match rule="\Q$rule\E" uri=\/ro\/trial/,
     '...and the error log names the device, at info');
is(would_lines($l), 1, '...once');
$l = logged('/ro/trial', 'ro_new');
is(summary($l), "403|would-grant|ok|$rule",
   'trial, a device only the new rule would accept: the old rule refuses it (403)');
is(would_lines($l), 0, '...and no refusal is blamed on the new rule');
unlike($l->{err}, qr/CERTAUTHZ0002: denied/, '...nor on a cert-* line (none decided)');
$l = logged('/ro/trial', 'client2');
is(summary($l), "403|would-deny|no-match|$rule", 'trial, a device both refuse: 403, would-deny');
$l = logged('/ro/trial');
is(summary($l), "403|would-deny|no-cert|$rule", 'trial, no certificate: 403, would-deny no-cert');
$l = logged('/ro/trial', 'id_revoked');
is(summary($l), "200|would-deny|revoked|$rule",
   'trial, a revoked device the old rule lets in: 200, would-deny revoked');

# ---- Alone, a report-only line never grants -----------------------------
$l = logged('/ro/alone', 'client');
is(summary($l), '403|would-grant|ok|cert-valid', 'alone: a device it would grant is refused (403), would-grant');
$l = logged('/ro/alone');
is(summary($l), '403|would-deny|no-cert|cert-valid', 'alone: no certificate, 403, would-deny');
$l = logged('/ro-ht/ok.html', 'client');
is(summary($l), '403|would-grant|ok|cert-valid', 'alone in .htaccess: refused too, would-grant');

# ---- Enforcing and report-only lines on one request ---------------------
$l = logged('/ro/mixed/admins', 'client');
is(summary($l), '200|granted|ok|cert-valid',
   'enforcing parent (AuthMerging And) + report-only child: the enforcing decision is the decision field');
like($l->{err}, qr/CERTAUTHZ0310: would-deny: device="client1" reason=no-match rule="cert-subject OU=Admins" uri=\/ro\/mixed\/admins/,
     '...and the would-be refusal of the report-only line is in the error log');
$l = logged('/ro/mixed/admins');
is(summary($l), '403|denied|no-cert|cert-valid',
   '...the inherited enforcing line still refuses a client without a certificate');
like($l->{err}, qr/CERTAUTHZ0002: denied: .*reason=no-cert rule="cert-valid"/, '...logged as a refusal');

# ---- Several report-only lines: their containers' logic ------------------
$l = logged('/ro/alts', 'client');
is(summary($l), '200|would-grant|ok|cert-serial 1001', 'two alternatives (implied RequireAny): the first would grant');
$l = logged('/ro/alts', 'client2');
is(summary($l), '200|would-grant|ok|cert-serial 1002', '...the second would grant');
$l = logged('/ro/alts', 'id_other');
is(summary($l), '200|would-deny|no-match|cert-serial 1001', '...neither: would-deny (Require ip let it in)');
$l = logged('/ro/all', 'client');
is(summary($l), '200|would-grant|ok|cert-valid', 'RequireAll with a not line: would-grant');
$l = logged('/ro/all', 'id_other');
is(summary($l), '200|would-deny|no-match|not cert-subject OU=Guests', '...a guest: would-deny by the not line');
$l = logged('/ro/all');
is(summary($l), '200|would-deny|no-cert|cert-valid', '...no certificate: would-deny no-cert');

# ---- Counters: apart from the decisions --------------------------------
# Requests on one connection: one process, whose counters the page shows.
sub status_around {
    my ($paths, %o) = @_;
    my $s = ka_connect('certauthz_ro', %o);
    my @r = map { http_exchange($s, "GET $_ HTTP/1.1\r\nHost: localhost\r\n\r\n") }
        ('/status', @$paths, '/status');
    close $s;
    my ($a, $b) = map { eval { JSON::PP->new->decode($_->{body}) } || {} } @r[0, -1];
    return ($a, $b, [map { $_->{code} } @r[1 .. $#r - 1]]);
}
sub delta {
    my ($a, $b, $k, $r) = @_;
    return ($b->{$k}{$r} // 0) - ($a->{$k}{$r} // 0);
}
my ($s1, $s2, $codes) = status_around([qw(/ro/alone /ro/trial /ro/trial)], cert => 'id_other');
is("@$codes", '403 200 200', 'counters: three requests on one connection (403, 200, 200)');
is_deeply([sort keys %{ $s1->{report_only} || {} }],
          [sort qw(ok no-cert unverified no-match crl-stale store-unavailable revoked)],
          'status page: report_only has a counter for every reason');
is(delta($s1, $s2, 'report_only', 'ok'), 1, 'status page: the would-grant counted once under report_only ok');
is(delta($s1, $s2, 'report_only', 'no-match'), 2, '...the two would-deny under report_only no-match');
is(delta($s1, $s2, 'decisions', 'ok') + delta($s1, $s2, 'decisions', 'no-match'), 0,
   '...and not as decisions (report-only lines decide nothing)');
($s1, $s2, $codes) = status_around([qw(/ro/mixed/admins)], cert => 'client');
is(delta($s1, $s2, 'decisions', 'ok'), 1, 'counters, both kinds on one request: the grant counted as a decision');
is(delta($s1, $s2, 'report_only', 'no-match'), 1, '...and the would-deny under report_only');

# ---- How to find the devices a new rule would refuse --------------------
# As the documentation says: the access log's decision field, or the
# error log's would-deny lines.
open my $fh, '<', $log or die "$log: $!";
my %refused;
for (<$fh>) {
    my @f = split /\|/;
    $refused{ $f[2] }++ if $f[0] eq '/ro/trial' && $f[3] eq 'would-deny' && $f[1] == 200;
}
close $fh;
is_deeply([sort keys %refused], [qw(id-other id-revoked)],
          'the access log lists the devices in use that the new rule would refuse');

# ---- Configuration --------------------------------------------------------
# Each case a small configuration run through `httpd -t`.
my $httpd = Apache::Test::vars('httpd');
my $top = Apache::Test::vars('top_dir');
my $logs = Apache::Test::vars('t_logs');
for my $case (['CertAuthzReportOnly maybe', qr/CertAuthzReportOnly must be On or Off/],
              ['CertAuthzForward sometimes', qr/CertAuthzForward: 'sometimes' is not Off, On or Chain/],
              ['CertAuthzForwardDeviceHeader "X User"', qr/'X User' is not a header name/],
              ['CertAuthzForwardDeviceHeader Host', qr/'Host' cannot carry the device id/],
              ['CertAuthzForwardDeviceHeader client_cert', qr/'client_cert' cannot carry the device id/]) {
    my ($line, $re) = @$case;
    my $file = "$logs/configtest-ro.conf";
    open my $c, '>', $file or die "$file: $!";
    print $c map { "$_\n" } (
        qq{ServerRoot "$top/t"},
        qq{Include "$top/t/modules.conf"},
        qq{LoadModule certauthz_module "$top/.libs/mod_certauthz.so"},
        qq{ServerName localhost},
        qq{Listen 127.0.0.1:9},
        qq{PidFile "$logs/configtest.pid"},
        qq{ErrorLog "$logs/configtest_error_log"},
        qq{<Location /x>},
        qq{    $line},
        qq{</Location>});
    close $c;
    my $out = `'$httpd' -t -f '$file' 2>&1`;
    like($out, $re, "configtest refuses \"$line\"");
    unlink $file;
}

my $err = error_log_since(0);
unlike($err, qr/exit signal|AddressSanitizer|runtime error/,
       'no child crashed and no sanitizer report in the error log');
