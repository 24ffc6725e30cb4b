# The certauthz command (INTERFACE section 7) on its own: every command,
# its bad inputs, and its CA directory read and written by openssl ca,
# openssl verify, openssl pkcs12 and NSS's pk12util.
use strict;
use warnings;
use Test::More;
use File::Temp qw(tempdir);
use JSON::PP ();
use POSIX ();

use lib 't/lib';
use CertAuthzCLI;

my $T = tempdir(CLEANUP => 1);
my $PKI = 't/pki/out';
my $JSON = JSON::PP->new;
my ($rc, $out, $err);

sub write_file {
    my ($f, $t) = @_;
    open my $fh, '>', $f or die "$f: $!";
    print $fh $t;
    close $fh;
}

sub openssl { my $cmd = shift; my $o = `openssl $cmd 2>&1`; return ($? >> 8, $o) }

# A bad input: exit 2 and one line on stderr matching RE.
sub refused {
    my ($args, $re, $what, $opt) = @_;
    my ($s, $o, $e) = certauthz(@$args, $opt ? $opt : ());
    is($s, 2, "$what: exit status 2");
    like($e, $re, "$what: says why") or diag("stderr: $e");
    is(scalar(() = $e =~ /\n/g), 1, "$what: one line on stderr");
}

# ---- help and dispatch ----------------------------------------------------
($rc, $out) = certauthz('help');
is($rc, 0, 'help: exit 0');
like($out, qr/^\s+$_\b/m, "help lists $_")
    for 'ca init', 'issue', 'sign', 'revoke', 'list', 'crl', 'inspect', 'check';
refused([], qr/no command given/, 'no command');
refused(['frobnicate'], qr/unknown command 'frobnicate'/, 'unknown command');
refused(['ca', 'create', "$T/x"], qr/unknown subcommand 'create'/, 'unknown ca subcommand');
refused(['list', "$T/x", '--bogus'], qr/unknown option '--bogus'/, 'unknown option');
refused(['issue', "$T/x"], qr/missing arguments/, 'missing argument');

# ---- ca init --------------------------------------------------------------
my $CA = "$T/ca";
my $PASS = "$T/pass";
write_file($PASS, "correct horse\nsecond line ignored\n");
($rc, $out, $err) = certauthz('ca', 'init', $CA, '--org', 'Acme', '--cn', 'Acme Devices',
                              '--passphrase-file', $PASS);
is($rc, 0, 'ca init: exit 0') or diag($err);
like($out, qr/\Q$CA\E\/ca\.crt/, 'ca init: prints the paths');
is(file_mode("$CA/ca.key"), '0600', 'ca.key is 0600');
is(file_mode("$_"), '0644', "$_ is world-readable")
    for map { "$CA/$_" } qw(ca.crt index.txt crl.pem);
is(file_mode("$CA/devices"), '0700', 'devices/ (keys, .p12) is 0700');
like(slurp("$CA/ca.key"), qr/^-----BEGIN ENCRYPTED PRIVATE KEY-----/, 'ca.key is encrypted');
like((openssl("asn1parse -in $CA/ca.key"))[1], qr/aes-256-cbc/, '...with AES-256');
is((openssl("pkey -in $CA/ca.key -passin file:$PASS -noout"))[0], 0,
   '...and openssl reads it with -passin file: (first line)');
my $catext = (openssl("x509 -in $CA/ca.crt -noout -text"))[1];
like($catext, qr/CA:TRUE/, 'ca.crt: CA:TRUE');
like($catext, qr/Certificate Sign, CRL Sign/, 'ca.crt: keyCertSign, cRLSign');
like($catext, qr/Subject: O = Acme, CN = Acme Devices/, 'ca.crt: --org and --cn');
like($catext, qr/ASN1 OID: prime256v1/, 'ca.crt: EC P-256 by default');
is(slurp("$CA/index.txt"), '', 'index.txt starts empty');
($rc, $out) = openssl("crl -in $CA/crl.pem -CAfile $CA/ca.crt -noout -text");
like($out, qr/verify OK/, 'crl.pem is signed by the CA');
like($out, qr/No Revoked Certificates/, '...and empty');

my $before = tree_state($CA);
refused(['ca', 'init', $CA, '--no-passphrase'], qr/already holds a CA.*nothing changed/,
        'ca init on an existing CA');
is(tree_state($CA), $before, '...changes nothing there');

($rc, $out, $err) = certauthz('ca', 'init', "$T/plain", '--no-passphrase', '--key', 'rsa');
is($rc, 0, 'ca init --no-passphrase --key rsa') or diag($err);
like(slurp("$T/plain/ca.key"), qr/^-----BEGIN PRIVATE KEY-----/, '--no-passphrase: key not encrypted');
like((openssl("x509 -in $T/plain/ca.crt -noout -text"))[1], qr/Public-Key: \(3072 bit\)/,
     '--key rsa: RSA-3072');
($rc) = certauthz('ca', 'init', "$T/envca", {env => {CERTAUTHZ_CA_PASSPHRASE => 'from-env'}});
is($rc, 0, 'ca init with CERTAUTHZ_CA_PASSPHRASE');
is((openssl("pkey -in $T/envca/ca.key -passin pass:from-env -noout"))[0], 0,
   '...which encrypts the key');
refused(['ca', 'init', "$T/nopass"], qr/needs a passphrase.*--passphrase-file.*CERTAUTHZ_CA_PASSPHRASE/,
        'ca init without a passphrase and no terminal');
ok(!-e "$T/nopass", '...leaves no directory behind');
refused(['ca', 'init', "$T/k", '--key', 'dsa', '--no-passphrase'], qr/--key 'dsa'/, 'ca init --key dsa');
refused(['ca', 'init', "$T/k", '--days', '0', '--no-passphrase'], qr/--days '0'/, 'ca init --days 0');
refused(['ca', 'init', "$T/k", '--passphrase-file', "$T/missing"], qr/--passphrase-file.*missing/,
        'ca init with a missing passphrase file');
ok(!-e "$T/k", 'refused inits leave nothing behind');

# ---- issue ----------------------------------------------------------------
($rc, $out, $err) = certauthz('issue', $CA, 'laptop-1', '--ou', 'Laptops', '--ou', 'Sales',
    '--email', 'alice@example.com', '--dns', 'laptop-1.example.com', '--uri',
    'spiffe://example.com/laptop-1', '--ip', '10.0.0.7', '--passphrase-file', $PASS);
is($rc, 0, 'issue: exit 0') or diag($err);
my ($p12pass) = $out =~ /p12 password: (\S+)/;
ok($p12pass && length $p12pass >= 20, 'issue prints a generated .p12 password');
like($out, qr/\Q$CA\/devices\/laptop-1.$_\E/, "issue prints devices/laptop-1.$_") for qw(key crt p12);
is(file_mode("$CA/devices/laptop-1.key"), '0600', 'device key 0600');
is(file_mode("$CA/devices/laptop-1.p12"), '0600', 'device .p12 0600');
my $dtext = (openssl("x509 -in $CA/devices/laptop-1.crt -noout -text -nameopt RFC2253"))[1];
like($dtext, qr/Subject: CN=laptop-1,OU=Sales,OU=Laptops,O=Acme/, 'subject: CN=NAME, the OUs, the CA\'s O');
like($dtext, qr/CA:FALSE/, 'not a CA');
like($dtext, qr/TLS Web Client Authentication/, 'clientAuth EKU');
like($dtext, qr/email:alice\@example.com, DNS:laptop-1.example.com, URI:spiffe:\/\/example.com\/laptop-1, IP Address:10.0.0.7/,
     'the SANs given');
is((openssl("verify -CAfile $CA/ca.crt $CA/devices/laptop-1.crt"))[0], 0, 'openssl verify accepts it');
my @idx = split /\n/, slurp("$CA/index.txt");
is(scalar @idx, 1, 'index.txt: one line');
like($idx[0], qr/^V\t\d{12}Z\t\t[0-9A-F]{32}\tunknown\t\/O=Acme\/OU=Laptops\/OU=Sales\/CN=laptop-1$/,
     'index.txt line as openssl ca writes it (random 128-bit serial)');
my ($serial1) = $idx[0] =~ /\t([0-9A-F]{32})\t/;
ok(-f "$CA/newcerts/$serial1.pem", 'newcerts/SERIAL.pem kept, as openssl ca does');

my $p12info = (openssl("pkcs12 -in $CA/devices/laptop-1.p12 -info -noout -passin pass:$p12pass"))[1];
like($p12info, qr/MAC: sha256/, 'modern .p12: SHA-256 MAC');
like($p12info, qr/PBES2.*AES-256-CBC/s, 'modern .p12: AES-256');
($rc) = openssl("pkcs12 -in $CA/devices/laptop-1.p12 -noout -passin pass:wrong");
isnt($rc, 0, 'the .p12 refuses a wrong password');

sub nss_import {
    my ($p12, $pw) = @_;
    my $db = tempdir(CLEANUP => 1);
    system("certutil -N -d sql:$db --empty-password >/dev/null 2>&1");
    my $o = `pk12util -i '$p12' -d sql:$db -W '$pw' 2>&1`;
    return ($? >> 8, $o);
}
($rc, $out) = nss_import("$CA/devices/laptop-1.p12", $p12pass);
is($rc, 0, "NSS's pk12util imports the modern .p12") or diag($out);

write_file("$T/p12pass", "device-secret\n");
($rc, $out, $err) = certauthz('issue', $CA, 'old-mac', '--legacy', '--p12-passphrase-file',
                              "$T/p12pass", {env => {CERTAUTHZ_CA_PASSPHRASE => 'correct horse'}});
is($rc, 0, 'issue --legacy --p12-passphrase-file') or diag($err);
unlike($out, qr/device-secret/, 'a given .p12 password is not printed');
$p12info = (openssl("pkcs12 -in $CA/devices/old-mac.p12 -info -noout -passin pass:device-secret"))[1];
like($p12info, qr/MAC: sha1/, 'legacy .p12: SHA-1 MAC');
like($p12info, qr/pbeWithSHA1And3-KeyTripleDES-CBC.*pbeWithSHA1And3-KeyTripleDES-CBC/s,
     'legacy .p12: 3DES for certificates and key');
($rc, $out) = nss_import("$CA/devices/old-mac.p12", 'device-secret');
is($rc, 0, "NSS's pk12util imports the legacy .p12") or diag($out);

$before = tree_state($CA);
write_file("$T/wrong", "not it\n");
refused(['issue', $CA, 'x1', '--passphrase-file', "$T/wrong"], qr/ca\.key: wrong passphrase/,
        'issue with a wrong passphrase');
refused(['issue', $CA, 'x1'], qr/needs a passphrase/, 'issue without a passphrase');
refused(['issue', $CA, 'laptop-1', '--passphrase-file', $PASS], qr/laptop-1\.key already exists/,
        'issue of an existing device');
refused(['issue', $CA, '../evil', '--passphrase-file', $PASS], qr/device name '\.\.\/evil'/,
        'issue with a path as name');
refused(['issue', $CA, 'x2', '--ip', '300.1.1.1', '--passphrase-file', $PASS], qr/--ip '300.1.1.1'/,
        'issue with a bad --ip');
refused(['issue', $CA, 'x2', '--email', 'nobody', '--passphrase-file', $PASS], qr/--email 'nobody'/,
        'issue with a bad --email');
refused(['issue', $CA, 'x2', '--p12-passphrase-file', "$T/none", '--passphrase-file', $PASS],
        qr/--p12-passphrase-file/, 'issue with a missing .p12 password file');
is(tree_state($CA), $before, 'refused issues change nothing in the CA directory');

mkdir "$T/foreign";
write_file("$T/foreign/ca.crt", "hello\n");
refused(['issue', "$T/foreign", 'x'], qr/is not a CA directory/, 'issue in a foreign directory');
refused(['list', "$T/nowhere"], qr/nowhere: No such file/, 'list of a missing directory');
mkdir "$T/fake";
write_file("$T/fake/$_", "x\n") for qw(ca.key index.txt);
system('cp', "$PKI/client.crt", "$T/fake/ca.crt");
refused(['list', "$T/fake"], qr/not a CA certificate/, 'a directory whose ca.crt is no CA');

# Serials: random, 128 bits, never reused.
for my $n (1 .. 12) {
    certauthz('issue', "$T/plain", "d$n");
}
my @serials = map { (split /\t/)[3] } split /\n/, slurp("$T/plain/index.txt");
my %seen;
$seen{$_}++ for @serials;
is(scalar(keys %seen), 12, 'twelve devices, twelve distinct serials');
is(scalar(grep { /^[0-7][0-9A-F]{31}$/ } @serials), 12, 'each a positive 16-byte serial');

# Concurrent issues on one CA: each takes the directory's lock in turn.
{
    my @pids;
    for my $n (1 .. 8) {
        my $pid = fork // die;
        if (!$pid) {
            my ($s) = certauthz('issue', "$T/plain", "par$n");
            POSIX::_exit($s);
        }
        push @pids, $pid;
    }
    my $bad = 0;
    for (@pids) { waitpid $_, 0; $bad++ if $? }
    is($bad, 0, 'eight concurrent issues on one CA all succeed');
    my @lines = grep { /\/CN=par\d$/ } split /\n/, slurp("$T/plain/index.txt");
    is(scalar @lines, 8, '...and index.txt records all eight');
}

# ---- sign -----------------------------------------------------------------
my $req = "$T/req";
system("openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout $req.key "
     . "-subj '/O=Acme/CN=phone-7' -addext 'subjectAltName=email:bob\@example.com' "
     . "-addext 'basicConstraints=critical,CA:TRUE' -out $req.csr 2>/dev/null");
($rc, $out, $err) = certauthz('sign', $CA, "$req.csr", '--days', '30', '--passphrase-file', $PASS);
is($rc, 0, 'sign: exit 0') or diag($err);
like($out, qr/^-----BEGIN CERTIFICATE-----/, 'sign writes the certificate on stdout');
write_file("$T/signed.crt", $out);
$dtext = (openssl("x509 -in $T/signed.crt -noout -text -nameopt RFC2253"))[1];
like($dtext, qr/CA:FALSE/, 'a CSR asking for CA:TRUE gets CA:FALSE');
like($err, qr/asks for basicConstraints; ignored/, '...and is told so');
like($dtext, qr/email:bob\@example.com/, 'the CSR\'s subjectAltName is kept');
like($dtext, qr/Subject: CN=phone-7,O=Acme/, 'the CSR\'s subject');
like(slurp("$CA/index.txt"), qr/\/O=Acme\/CN=phone-7\n/, 'recorded in index.txt');
($rc, $out) = certauthz('sign', $CA, "$req.csr", '--out', "$T/signed2.crt", '--passphrase-file', $PASS);
is($rc, 0, 'sign --out');
is((openssl("verify -CAfile $CA/ca.crt $T/signed2.crt"))[0], 0, '...a certificate openssl verify accepts');

system("openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout $req.key "
     . "-subj '/O=Acme/OU=Nameless' -out $T/nocn.csr 2>/dev/null");
$before = tree_state($CA);
refused(['sign', $CA, "$T/nocn.csr", '--passphrase-file', $PASS], qr/no CN in its subject/,
        'sign a CSR without CN');
# Flip a byte of the signature (the last bytes of the DER).
system("openssl req -in $req.csr -outform DER -out $T/req.der");
my $der = slurp("$T/req.der");
substr($der, -5, 1) = chr(ord(substr($der, -5, 1)) ^ 0x01);
open my $dfh, '>:raw', "$T/bad.der" or die;
print $dfh $der;
close $dfh;
refused(['sign', $CA, "$T/bad.der", '--passphrase-file', $PASS], qr/bad signature/,
        'sign a CSR with a bad signature');
refused(['sign', $CA, "$PKI/client.crt", '--passphrase-file', $PASS], qr/not a certificate request/,
        'sign something that is no CSR');
is(tree_state($CA), $before, 'refused signs change nothing');

# ---- revoke, crl, list ----------------------------------------------------
$before = tree_state($CA);
refused(['revoke', $CA, 'laptop-1', '--passphrase-file', "$T/wrong"], qr/wrong passphrase/,
        'revoke with a wrong passphrase');
is(tree_state($CA), $before, '...changes nothing');
my $crl_ino = (stat "$CA/crl.pem")[1];
my $idx_ino = (stat "$CA/index.txt")[1];
(my $colons = lc $serial1) =~ s/(..)(?=.)/$1:/g;
($rc, $out, $err) = certauthz('revoke', $CA, $colons, '--reason', 'keyCompromise',
                              '--passphrase-file', $PASS);
is($rc, 0, 'revoke by serial (lower case, colons)') or diag($err);
like(slurp("$CA/index.txt"), qr/^R\t\d{12}Z\t\d{12}Z,keyCompromise\t$serial1\t/m,
     'index.txt: R line with date and reason, as openssl ca writes it');
isnt((stat "$CA/index.txt")[1], $idx_ino, 'index.txt replaced (new inode: renamed into place)');
isnt((stat "$CA/crl.pem")[1], $crl_ino, 'crl.pem replaced likewise');
is(file_mode("$CA/$_"), '0644', "$_ still world-readable") for qw(index.txt crl.pem);
($rc, $out) = openssl("crl -in $CA/crl.pem -CAfile $CA/ca.crt -noout -text");
like($out, qr/verify OK/, 'the new CRL verifies');
like($out, qr/Serial Number: $serial1.*Key Compromise/s, 'it lists the serial with its reason');
($rc, $out) = openssl("verify -crl_check -CAfile $CA/ca.crt -CRLfile $CA/crl.pem $CA/devices/laptop-1.crt");
like($out, qr/certificate revoked/, 'openssl verify -crl_check refuses the revoked device');
($rc, $out) = openssl("verify -crl_check -CAfile $CA/ca.crt -CRLfile $CA/crl.pem $CA/devices/old-mac.crt");
is($rc, 0, '...and accepts the others');

($rc, $out, $err) = certauthz('revoke', $CA, "$T/signed.crt", '--passphrase-file', $PASS);
is($rc, 0, 'revoke by certificate file') or diag($err);
($rc, $out, $err) = certauthz('revoke', $CA, 'old-mac', '--reason', 'superseded', '--passphrase-file', $PASS);
is($rc, 0, 'revoke by device name') or diag($err);
$before = tree_state($CA);
($rc, $out, $err) = certauthz('revoke', $CA, $serial1, '--passphrase-file', $PASS);
is($rc, 0, 'revoking twice: exit 0');
like($err, qr/already revoked/, '...says so');
is(tree_state($CA), $before, '...and changes nothing');
refused(['revoke', $CA, '0x1234', '--passphrase-file', $PASS], qr/not in .*index\.txt/,
        'revoke an unknown serial');
refused(['revoke', $CA, "$PKI/client.crt", '--passphrase-file', $PASS], qr/not issued by this CA/,
        'revoke a certificate of another CA');
refused(['revoke', $CA, 'zz-top', '--passphrase-file', $PASS], qr/neither a certificate file/,
        'revoke something that is neither');
refused(['revoke', $CA, $serial1, '--reason', 'whim'], qr/--reason 'whim'/, 'revoke --reason whim');
is(tree_state($CA), $before, 'refused revokes change nothing');

($rc, $out) = certauthz('list', $CA);
is($rc, 0, 'list');
like($out, qr/^laptop-1\s+$serial1\s+revoked\s+\S+\s+\S+ keyCompromise$/m, 'list: a revoked device');
like($out, qr/^phone-7\s+[0-9A-F]{32}\s+revoked/m, 'list: the signed CSR (revoked)');
($rc, $out) = certauthz('list', $CA, '--json');
my $list = eval { $JSON->decode($out) } || [];
is(scalar @$list, 4, 'list --json: every certificate') or diag($out);
is_deeply([sort map { "$_->{name}:$_->{state}" } @$list],
          ['laptop-1:revoked', 'old-mac:revoked', 'phone-7:revoked', 'phone-7:valid'],
          'list --json: names and states');
is((grep { $_->{serial} eq $serial1 } @$list)[0]{reason}, 'keyCompromise', 'list --json: reason');

my $num = slurp("$CA/crlnumber");
($rc, $out, $err) = certauthz('crl', $CA, '--days', '7', '--passphrase-file', $PASS);
is($rc, 0, 'crl: exit 0') or diag($err);
isnt(slurp("$CA/crlnumber"), $num, 'crl: the CRL number moves on');
($rc, $out) = openssl("crl -in $CA/crl.pem -CAfile $CA/ca.crt -noout -lastupdate -nextupdate");
my ($lu) = $out =~ /lastUpdate=(.*)/;
my ($nu) = $out =~ /nextUpdate=(.*)/;
ok($lu && $nu, 'crl: lastUpdate and nextUpdate') or diag($out);
refused(['crl', $CA, '--passphrase-file', "$T/wrong"], qr/wrong passphrase/, 'crl with a wrong passphrase');

# ---- openssl ca on the same directory -------------------------------------
($rc, $out) = openssl("ca -batch -config $CA/openssl.cnf -passin file:$PASS -revoke $CA/newcerts/"
                    . ((grep { $_->{name} eq 'phone-7' && $_->{state} eq 'valid' } @$list)[0]{serial})
                    . ".pem -crl_reason cessationOfOperation");
is($rc, 0, 'openssl ca -revoke works on the directory') or diag($out);
($rc, $out) = certauthz('list', $CA, '--json');
my $after = eval { $JSON->decode($out) } || [];
is(scalar(grep { $_->{state} eq 'revoked' } @$after), 4,
   '...and certauthz list reads what it wrote');
($rc, $out) = openssl("ca -batch -config $CA/openssl.cnf -passin file:$PASS -gencrl -out $T/ossl.crl");
is($rc, 0, 'openssl ca -gencrl works on the directory') or diag($out);
($rc, $out) = openssl("ca -batch -config $CA/openssl.cnf -passin file:$PASS -in $req.csr -out $T/ossl.crt");
is($rc, 0, 'openssl ca issues into the same index.txt') or diag($out);
($rc, $out, $err) = certauthz('revoke', $CA, "$T/ossl.crt", '--passphrase-file', $PASS);
is($rc, 0, 'certauthz revokes what openssl ca issued') or diag($err);
($rc, $out) = openssl("crl -in $CA/crl.pem -noout -text");
is(scalar(() = $out =~ /Serial Number:/g), 5, 'crl.pem lists all five revocations');

# ---- inspect --------------------------------------------------------------
($rc, $out) = certauthz('inspect', "$PKI/rules-multi.crt");
is($rc, 0, 'inspect');
like($out, qr/^subject\s+CN=multi,OU=c,OU=b\+OU=a,O=MyOrg$/m, 'inspect: the RFC 4514 subject');
like($out, qr/^\s+\+OU\s+a$/m, 'inspect: every attribute, multi-valued RDNs marked');
like($out, qr/^serial\s+2002$/m, 'inspect: serial');
($rc, $out) = certauthz('inspect', "$PKI/rules-san.crt", '--json');
my $j = eval { $JSON->decode($out) } || {};
is_deeply([sort keys %$j], [sort qw(device subject issuer serial fingerprint not_before not_after
                                    days_left san verify decision reason rule)],
          'inspect --json: the %{json}Z keys');
is($j->{san}[0], 'dns:Host.Example.COM', 'inspect --json: san array');
($rc, $out) = certauthz('inspect', "$PKI/devcl.crt", '--json', '--device-id', 'san:uri');
is(($JSON->decode($out) || {})->{device}, 'spiffe://example.org/dev/1', 'inspect --device-id');
system("openssl x509 -in $PKI/client.crt -outform DER -out $T/client.der");
($rc, $out) = certauthz('inspect', "$T/client.der", '--json');
is(($JSON->decode($out) || {})->{device}, 'client1', 'inspect reads DER');
refused(['inspect', "$T/none.crt"], qr/none\.crt: No such file/, 'inspect a missing file');
refused(['inspect', $PASS], qr/not a readable certificate/, 'inspect a file that is no certificate');
refused(['inspect', "$PKI/client.crt", '--device-id', 'nose:x'], qr/--device-id/, 'inspect --device-id nose:x');

# ---- check ----------------------------------------------------------------
($rc, $out) = certauthz('check', "$PKI/client.crt", 'cert-subject O=MyOrg');
is($rc, 0, 'check: granted, exit 0');
like($out, qr/^granted\nreason: ok\nrule: cert-subject O=MyOrg\n/, 'check: granted, ok, the rule');
($rc, $out) = certauthz('check', "$PKI/client.crt", 'Require cert-subject "O=MyOrg" OU=Admins CN~^x');
is($rc, 1, 'check: denied, exit 1');
like($out, qr/^denied\nreason: no-match\n/, 'check: no-match');
like($out, qr/^failed: OU=Admins \(the subject has OU=Devices\)$/m, 'check: the failing condition and what the subject holds');
like($out, qr/^failed: CN~\^x \(the subject has CN=client1\)$/m, '...every failing condition');
unlike($out, qr/failed: O=MyOrg/, '...and not the one that holds');
($rc, $out) = certauthz('check', "$PKI/client.crt", 'cert-subject title=boss');
like($out, qr/failed: title=boss \(the subject has no title\)/, 'check: an attribute the certificate lacks');
($rc, $out) = certauthz('check', "$PKI/client.crt", 'cert-serial 1002 0x2001');
like($out, qr/failed: none of 1002 0x2001 \(the certificate has serial 1001\)/, 'check: serials');
($rc, $out) = certauthz('check', "$PKI/client2.crt", 'cert-san email:*@example.com');
like($out, qr/the certificate has no subjectAltName/, 'check: no SAN');
($rc, $out) = certauthz('check', "$PKI/rv_crl.crt", 'cert-valid', '--revocation', "$PKI/rev-crl.pem");
is($rc, 1, 'check --revocation: a revoked certificate is denied');
like($out, qr/^denied\nreason: revoked\n.*revoked in: \S*rev-crl\.pem/s, '...reason revoked, and where');
($rc, $out) = certauthz('check', "$PKI/rv_crl.crt", 'cert-subject O=NoSuchOrg', '--revocation', "$PKI/rev-list.txt",
                        '--revocation', "$PKI/rev-crl.pem");
like($out, qr/reason: revoked/, 'revoked outranks no-match, as in the module');
($rc, $out) = certauthz('check', "$PKI/client.crt", 'cert-valid', '--revocation', "$PKI/rev-stale.pem");
is($rc, 0, 'a stale CRL under warn: granted');
like($out, qr/^warning: .*past its nextUpdate/m, '...with a warning');
($rc, $out) = certauthz('check', "$PKI/client.crt", 'cert-valid', '--revocation', "$PKI/rev-stale.pem",
                        '--stale-crl', 'deny');
like($out, qr/^denied\nreason: crl-stale/, '--stale-crl deny: crl-stale');
refused(['check', "$PKI/client.crt", 'cert-subject FOO=x'], qr/unknown attribute 'FOO'/, 'check: unknown attribute');
refused(['check', "$PKI/client.crt", 'cert-subject CN~('], qr/bad regex/, 'check: bad regex');
refused(['check', "$PKI/client.crt", 'cert-fingerprint abcd'], qr/not a SHA-256 fingerprint/, 'check: short fingerprint');
refused(['check', "$PKI/client.crt", 'cert-san foo:bar'], qr/unknown SAN type 'foo'/, 'check: unknown SAN type');
refused(['check', "$PKI/client.crt", 'valid-user'], qr/'valid-user' is not a cert-\* provider/, 'check: other provider');
refused(['check', "$PKI/client.crt", 'Require not cert-valid'], qr/'Require not'/, 'check: Require not');
refused(['check', "$PKI/client.crt", ''], qr/empty Require line/, 'check: empty line');
refused(['check', "$PKI/client.crt", 'cert-valid', '--revocation', $PASS], qr/--revocation .*pass: line 1/,
        'check: a malformed revocation file');
refused(['check', "$PKI/client.crt", 'cert-valid', '--stale-crl', 'maybe'], qr/--stale-crl 'maybe'/,
        'check --stale-crl maybe');
refused(['check', "$T/none.crt", 'cert-valid'], qr/none\.crt/, 'check: a missing certificate');

done_testing();
