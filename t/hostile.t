# Hostile certificates over real TLS (issue 7): huge SAN lists, very long
# names, hundreds of RDNs, a multi-valued RDN of hundreds of values.  Each
# is generated here, signed by the trusted test CA, and must be judged like
# any other certificate: the module neither crashes nor refuses it for its
# size.  The same file runs in the ASan pass of `make test`.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use File::Path qw(make_path);
use CertAuthzTest;

my $dir = pki('hostile');
make_path($dir);
# openssl x509 -req reports on stderr what it signed; keep the TAP output
# readable.
open my $olderr, '>&', \*STDERR or die "dup: $!";
open STDERR, '>', "$dir/openssl.log" or die "$dir/openssl.log: $!";

# Write an openssl config for one certificate and sign it with ca.
sub issue {
    my ($name, $dn, $san) = @_;
    my $cnf = "$dir/$name.cnf";
    open my $fh, '>', $cnf or die "$cnf: $!";
    print $fh "[req]\ndistinguished_name = dn\nprompt = no\nstring_mask = utf8only\n"
        . "[dn]\n" . join('', map { "$_->[0] = $_->[1]\n" } @$dn)
        . "[ext]\nbasicConstraints = CA:FALSE\n"
        . "extendedKeyUsage = clientAuth\n"
        . ($san ? "subjectAltName = \@alt\n[alt]\n$san" : '');
    close $fh;
    my $key = pki('client.key');
    system("openssl req -new -key $key -config $cnf -out $dir/$name.csr "
        . "2>$dir/$name.err") == 0
        && system('openssl', 'x509', '-req', '-in', "$dir/$name.csr",
            '-CA', pki('ca.crt'), '-CAkey', pki('ca.key'), '-set_serial',
            '0x' . unpack('H*', $name), '-days', '30', '-sha256',
            '-extfile', $cnf, '-extensions', 'ext',
            '-out', pki("hostile/$name.crt")) == 0
        or die "cannot issue $name: " . `cat $dir/$name.err`;
    # get_status() looks for NAME.crt and NAME.key under t/pki/out.
    symlink(pki('client.key'), "$dir/$name.key") unless -e "$dir/$name.key";
    return "hostile/$name";
}

# Unique prefixes: openssl's config sections want distinct keys, "N.OU".
sub many { my ($attr, $n, $fmt) = @_; map { ["$_.$attr", sprintf $fmt, $_] } 1 .. $n }

my %cert = (
    sans => issue('sans', [['CN', 'many sans']],
        join('', map { "DNS.$_ = h$_.example.com\n" } 1 .. 1000)
        . join('', map { "email.$_ = u$_\@example.com\n" } 1 .. 200)
        . join('', map { "IP.$_ = 10.9." . int($_ / 250) . '.' . ($_ % 250) . "\n" } 1 .. 200)
        . join('', map { "URI.$_ = spiffe://example.org/ns/$_\n" } 1 .. 100)),
    longname => issue('longname',
        [['CN', 'long'], ['UID', 'u' x 20000], ['description', 'd' x 20000]]),
    ous => issue('ous', [many('OU', 400, 'unit%d'), ['CN', 'ous']]),
    multirdn => issue('multirdn', [['CN', 'multirdn']]),
);

# A multi-valued RDN of 300 OU values needs -multivalue-rdn on -subj.
{
    my $subj = '/CN=multirdn/' . join('+', map { "OU=m$_" } 1 .. 300);
    system("openssl req -new -key " . pki('client.key')
        . " -subj '$subj' -multivalue-rdn -out $dir/m.csr 2>/dev/null") == 0
        && system('openssl', 'x509', '-req', '-in', "$dir/m.csr",
            '-CA', pki('ca.crt'), '-CAkey', pki('ca.key'),
            '-set_serial', '0x4d', '-days', '30',
            '-out', pki('hostile/multirdn.crt')) == 0
        or die 'cannot issue multirdn';
}

open STDERR, '>&', $olderr or die "dup: $!";

plan tests => 2 * keys(%cert) + 2;

for my $name (sort keys %cert) {
    my $size = -s pki("$cert{$name}.crt");
    is(get_status('certauthz_hardening', '/p/valid', cert => $cert{$name}),
       200, "$name ($size bytes of PEM): Require cert-valid grants");
    my @codes = keepalive_statuses('certauthz_hardening',
        [qw(/p/valid /p/valid /p/valid)], cert => $cert{$name});
    is("@codes", '200 200 200', "$name: several requests on one connection");
}

is(get_status('certauthz_hardening', '/p/valid'), 403,
   'after them, a request without a certificate is still refused');
is(get_status('certauthz_hardening', '/p/valid', cert => 'client'), 200,
   'and the ordinary client certificate still granted');
