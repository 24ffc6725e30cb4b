# certauthz revoke against a running server (INTERFACE section 7): the CA
# directory's index.txt and crl.pem are the revocation files of two virtual
# hosts (t/conf/features/cli.conf.in, checked every second); a revocation
# reaches both within the check interval, without a restart, and no other
# device is affected.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use CertAuthzTest;
use CertAuthzCLI;
use JSON::PP ();
use Time::HiRes qw(sleep time);

plan tests => 15;

my $CA = pki('cli-ca');
sub dev { "cli-ca/devices/$_[0]" }

# Seconds until VHOST answers WANT for DEVICE (undef after LIMIT).
sub until_status {
    my ($vhost, $dev, $want, $limit) = @_;
    my $t0 = time;
    while (time - $t0 < $limit) {
        return time - $t0 if get_status($vhost, '/p/valid', cert => dev($dev)) == $want;
        sleep 0.1;
    }
    return undef;
}

for my $v (qw(cli_idx cli_crl)) {
    is(get_status($v, '/p/valid', cert => dev('dev-idx')), 200,
       "$v: a device issued by certauthz is let in");
}
is(get_status('cli_idx', '/p/valid'), 403, 'cli_idx: no certificate, 403');

my ($rc, $out) = certauthz('list', $CA, '--json');
my ($entry) = grep { $_->{name} eq 'dev-idx' } @{ JSON::PP->new->decode($out) };
my $mark = error_log_mark();
($rc, $out, my $err) = certauthz('revoke', $CA, $entry->{serial}, '--reason', 'keyCompromise');
is($rc, 0, 'certauthz revoke SERIAL') or diag($err);

# Interval 1 s, plus the loader's second of stability, plus the
# request's own second: well within 4 s.
my $t = until_status('cli_idx', 'dev-idx', 403, 6);
ok(defined $t && $t <= 4, 'index.txt as revocation file: refused within the interval, no restart'
   . (defined $t ? sprintf(' (%.1f s)', $t) : ' (still granted after 6 s)'));
$t = until_status('cli_crl', 'dev-idx', 403, 6);
ok(defined $t && $t <= 4, 'crl.pem (signature checked by CertAuthzCRLVerifyCA): refused as well'
   . (defined $t ? sprintf(' (%.1f s)', $t) : ''));
sleep 0.2;
like(error_log_since($mark), qr/device="dev-idx" reason=revoked/,
     'the denial is logged with the device and reason revoked');
unlike(error_log_since($mark), qr/CertAuthzRevocationFile.*(error|failed)/i,
       'both rewritten files loaded without error');
is(get_status($_, '/p/valid', cert => dev('dev-keep')), 200, "$_: another device still gets in")
    for qw(cli_idx cli_crl);

($rc, $out, $err) = certauthz('revoke', $CA, "$CA/devices/dev-crl.crt");
is($rc, 0, 'certauthz revoke CERT.pem') or diag($err);
$t = until_status('cli_crl', 'dev-crl', 403, 6);
ok(defined $t && $t <= 4, 'crl.pem: the second device refused within the interval'
   . (defined $t ? sprintf(' (%.1f s)', $t) : ''));
$t = until_status('cli_idx', 'dev-crl', 403, 6);
ok(defined $t, 'index.txt: likewise');

# The server's answers and the tool's agree on the CA's own files.
for my $d (qw(dev-idx dev-keep)) {
    my ($c) = certauthz('check', pki(dev($d) . '.crt'), 'cert-valid',
                        '--revocation', "$CA/index.txt", '--revocation', "$CA/crl.pem");
    is($c == 0 ? 200 : 403, get_status('cli_crl', '/p/valid', cert => dev($d)),
       "check $d with the CA's files agrees with the server");
}
