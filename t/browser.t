# A real browser end to end (issue 13): headless Chromium with the .p12
# that `certauthz issue` made, imported into its NSS store with pk12util
# and chosen by policy, against the cli_browser virtual host
# (t/conf/features/cli.conf.in: the CA's crl.pem re-read every second and
# conf/error-403.shtml as the 403 page).  Without the certificate: the
# page that says none was presented; with it: 200; after `certauthz
# revoke`: the page that says the device was revoked, within the interval.
#
# Not in the ASan pass of make test (a browser start takes seconds and the
# module's code is the same as in the first pass).
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use CertAuthzTest;
use CertAuthzCLI;
use File::Path qw(make_path);
use File::Temp qw(tempdir);
use Time::HiRes qw(sleep time);

if ((Apache::Test::vars('defines') // '') =~ /\bCERTAUTHZ_ASAN\b/) {
    plan skip_all => 'the browser runs in the first pass only';
}
my $CHROMIUM = (grep { -x } '/usr/lib/chromium/chromium', '/usr/bin/chromium')[0];
plan tests => 12;

ok($CHROMIUM && -x '/usr/bin/pk12util' && -x '/usr/bin/certutil',
   'chromium and NSS tools are installed (scripts/deps.sh)')
    or BAIL_OUT('chromium or libnss3-tools missing: make test installs them');

my $port = port('cli_browser');
my $CA = pki('cli-browser');
my $ACCESS = Apache::Test::vars('t_logs') . '/access_log';
my $H = tempdir(CLEANUP => 1);
my $NSS = "$H/.pki/nssdb";
make_path($NSS, "$H/udd/Default");

sub sh { my $o = `@_ 2>&1`; return ($? >> 8, $o) }

# The NSS store Chromium reads on Linux: the test CA that signed the
# server's certificate is trusted; the device's .p12 comes later.
my ($rc, $o) = sh("certutil -N -d sql:$NSS --empty-password");
($rc, $o) = sh("certutil -A -d sql:$NSS -t 'C,,' -n 'Test Root CA' -i " . pki('ca.crt'))
    unless $rc;
is($rc, 0, 'a fresh NSS store trusting the server\'s CA') or diag($o);

# Choose the device certificate without a dialog (there is nobody to click).
open my $pf, '>', "$H/udd/Default/Preferences" or die;
print $pf '{"profile":{"content_settings":{"exceptions":{"auto_select_certificate":'
    . qq({"https://localhost:$port,*":{"setting":{"filters":[{"ISSUER":{"CN":"Browser Test CA"}}]}}}}}}});
close $pf;

my $run = 0;
# Load PATH in the browser: (status from the access log, page text).
sub browse {
    my ($path) = @_;
    $run++;
    my $url = "https://localhost:$port$path?run=$run";
    local $ENV{HOME} = $H;
    my ($rc, $dom) = sh("timeout 60 $CHROMIUM --headless --no-sandbox --disable-gpu "
        . "--disable-quic --no-first-run --disable-background-networking "
        . "--disable-component-update --disable-sync --disable-dev-shm-usage "
        . "--user-data-dir=$H/udd --dump-dom '$url'");
    my $status;
    for (1 .. 50) {
        my $log = slurp($ACCESS) // '';
        ($status) = $log =~ /"GET \Q$path?run=$run\E HTTP\/[\d.]+" (\d{3})/;
        last if $status;
        sleep 0.1;
    }
    (my $text = $dom) =~ s/<[^>]*>//g;
    $text =~ s/\s+/ /g;
    return ($status // 'none', $text);
}

my ($status, $text) = browse('/p/valid');
is($status, 403, 'no certificate imported: 403');
like($text, qr/No certificate was presented.*Import your device's certificate file \(device\.p12/,
     '...and the page says none was presented and to import the .p12') or diag($text);

($rc, $o) = sh("pk12util -i $CA/devices/laptop-1.p12 -d sql:$NSS -W browser-p12-pass");
is($rc, 0, 'the .p12 issued by certauthz imports with pk12util') or diag($o);

($status, $text) = browse('/p/valid');
is($status, 200, 'with the imported device certificate: 200');
like($text, qr/\bok\b/, '...and the page itself') or diag($text);

($status, $text) = browse('/p/admins');
is($status, 403, 'a rule the device does not satisfy: 403');
like($text, qr/Device laptop-1 is not allowed here/, '...saying the device is not allowed here')
    or diag($text);

(my $c, $o, my $e) = certauthz('revoke', $CA, 'laptop-1');
is($c, 0, 'certauthz revoke laptop-1') or diag($e);
my $t0 = time;
my $t;
while (time - $t0 < 15) {
    ($status, $text) = browse('/p/valid');
    if ($status eq '403') {
        $t = time - $t0;
        last;
    }
    sleep 0.3;
}
ok(defined $t && $t < 8, 'after the revocation the browser gets 403 within the check interval'
   . (defined $t ? sprintf(' (%.1f s, browser start included)', $t) : ''));
like($text, qr/This device was revoked: the certificate of device laptop-1 is no longer accepted.*Reason: revoked/,
     '...with the page saying the device was revoked') or diag($text);
