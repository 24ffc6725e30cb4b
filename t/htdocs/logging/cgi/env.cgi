#!/usr/bin/perl
# Prints the CERTAUTHZ_* variables and REMOTE_USER a CGI receives.
print "Content-Type: text/plain\r\n\r\n";
for my $k (sort grep { /^CERTAUTHZ_|^REMOTE_USER$/ } keys %ENV) {
    print "$k=$ENV{$k}\n";
}
