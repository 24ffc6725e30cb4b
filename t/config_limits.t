# Server-level directives at and beyond their limits: configtest accepts the
# edges and refuses the rest, naming the file, the line and the value.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use CertAuthzTest;

my $httpd = Apache::Test::vars('httpd');
my $top   = Apache::Test::vars('top_dir');
my $logs  = Apache::Test::vars('t_logs');

# [directive line, expected: undef = accepted, else text the error names]
my @cases = (
    ['CertAuthzRevocationCheckInterval 0', undef],
    ['CertAuthzRevocationCheckInterval 86400', undef],
    ['CertAuthzRevocationCheckInterval 86401', q{'86401'}],
    ['CertAuthzRevocationCheckInterval -1', q{'-1'}],
    ['CertAuthzRevocationCheckInterval five', q{'five'}],
    ['CertAuthzRevocationCheckInterval 99999999999999999999', q{'99999999999999999999'}],
    ['CertAuthzRevocationCheckInterval ""', q{takes one argument}],
    ['CertAuthzStaleCRL warn', undef],
    ['CertAuthzStaleCRL DENY', undef],
    ['CertAuthzStaleCRL maybe', q{maybe}],
    ['CertAuthzRevocationFile "' . $logs . '/no-such-file.crl"', q{no-such-file.crl}],
    ['CertAuthzRevocationFile "' . $logs . '"', q{CertAuthzRevocationFile}],
    ['CertAuthzCRLVerifyCA "' . $logs . '/no-such-ca.pem"' . "\n"
     . 'CertAuthzRevocationFile "' . pki('ca.crt') . '"', q{no-such-ca.pem}],
    ['CertAuthzDeviceId subject:NoSuchAttr', q{NoSuchAttr}],
    ['CertAuthzDeviceId san:rid', q{san:rid}],
    ['CertAuthzUser maybe', q{CertAuthzUser}],
    # Revocation for a fleet: configtest checks, and needs no network.
    ['CertAuthzRevocationURL http://127.0.0.1:9/ca.crl', undef],
    ['CertAuthzRevocationURL https://127.0.0.1:9/ca.crl timeout=300 maxsize=1G', undef],
    ['CertAuthzRevocationURL file:///etc/passwd', q{file:///etc/passwd}],
    ['CertAuthzRevocationURL http://127.0.0.1:9/ca.crl timeout=301', q{timeout=301}],
    ['CertAuthzRevocationStore redis:127.0.0.1:9', undef],
    ['CertAuthzRevocationStore redis:127.0.0.1:9,127.0.0.1:10', q{name one server}],
    ['CertAuthzRevocationStore nosuch:127.0.0.1:9', q{no socache provider 'nosuch'}],
    ['CertAuthzRevocationStore shmcb:' . $logs . '/x(100000)', undef],
    ['CertAuthzStoreCacheSeconds 0', undef],
    ['CertAuthzStoreCacheSeconds 3600', undef],
    ['CertAuthzStoreCacheSeconds 3601', q{'3601'}],
    ['CertAuthzStoreUnavailable ALLOW', undef],
    ['CertAuthzStoreUnavailable maybe', q{maybe}],
);

plan tests => 2 * @cases;

my $n = 0;
for my $case (@cases) {
    my ($directive, $token) = @$case;
    my $file = "$logs/limits-" . $n++ . ".conf";
    open my $fh, '>', $file or die "$file: $!";
    print $fh map { "$_\n" } (
        qq{ServerRoot "$top/t"},
        qq{Include "$top/t/modules.conf"},
        qq{LoadModule certauthz_module "$top/.libs/mod_certauthz.so"},
        qq{ServerName localhost},
        qq{Listen 127.0.0.1:9},
        qq{PidFile "$logs/limits.pid"},
        qq{ErrorLog "$logs/limits_error_log"},
        $directive,
    );
    close $fh;
    my $out = `'$httpd' -t -f '$file' 2>&1`;
    my $rc = $? >> 8;
    (my $shown = $directive) =~ s/\n.*//s;
    if (!defined $token) {
        is($rc, 0, "configtest accepts: $shown") or diag($out);
        unlike($out, qr/CERTAUTHZ\d+|Syntax error/, '...without complaint');
    }
    else {
        isnt($rc, 0, "configtest refuses: $shown");
        ok(index($out, $token) >= 0 && $out =~ /line [89] of \Q$file\E/,
           "...naming the file, the line and \"$token\"") or diag($out);
    }
}
