# TLS 1.3 post-handshake authentication (curl offers it): a certificate
# that arrives after the handshake, on a connection that has served
# requests without one, is the one judged, then and afterwards.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use CertAuthzTest;

plan tests => 4;

my $curl = `sh -c 'command -v curl'`;
chomp $curl;
my $url = 'https://localhost:' . port('certauthz_pha');

# One curl process, one connection: the URLs are fetched in order on it.
sub statuses {
    my ($cert, @paths) = @_;
    my @cmd = ($curl, '-s', '--http1.1', '--tlsv1.3', '-w', '%{http_code} %{num_connects}\n',
               '--cacert', pki('ca.crt'));
    push @cmd, '--cert', pki("$cert.crt"), '--key', pki("$cert.key") if $cert;
    push @cmd, '-o', '/dev/null', "$url$_" for @paths;
    open my $fh, '-|', @cmd or die "curl: $!";
    my @out = <$fh>;
    close $fh;
    chomp @out;
    return @out;
}

SKIP: {
    skip 'curl is not installed', 4 unless $curl;
    my @s = statuses('client', qw(/p/valid /p/pha /p/valid /p/open));
    is($s[0], '403 1', 'before the certificate was asked for: no-cert, 403');
    is($s[1], '200 0',
       'post-handshake authentication on the same connection: the new '
       . 'certificate is judged (200)');
    is($s[2], '200 0', '...and stays the identity of the following requests');
    @s = statuses('client2', qw(/p/open /p/pha /p/valid));
    is("@s[1,2]", '403 0 200 0',
       'a verified certificate that does not match after post-handshake '
       . 'authentication is refused on its own fields, and is still valid');
}
