#!/usr/bin/perl
# A small SMSC on loopback for the SMS channel's tests, benchmark and demo, on Debian's
# Net::SMPP (libnet-smpp-perl) in the SMSC role, as its examples/smsc.pl does. Not ours to trust: it is the other end of the
# protocol, written against a different SMPP implementation than the ESME's smpplib.
#
#   loopback_smsc.pl --port-file F --record R [--port P] [--deliver NUMBER=TEXT ...]
#           [--deliver-file F] [--ucs2] [--hold-after K] [--receipts]
#           [--enquire-every S] [--password PW]
#
# It listens on 127.0.0.1 (port 0 = any free one, written to --port-file), accepts one
# ESME at a time, answers bind_transceiver, delivers each --deliver (and each
# "NUMBER<TAB>TEXT" line of --deliver-file) once as deliver_sm after the first bind, and
# appends every PDU it receives to --record as a JSON line (submit_sm with its
# short_message in hex). --hold-after K answers only the first K submit_sm and leaves the
# rest unanswered (the test kills it then); --receipts sends a delivery receipt
# (esm_class 0x04) after each submit_sm_resp; --enquire-every sends enquire_link.
use strict;
use warnings;
use Encode qw(decode_utf8 encode);
use Getopt::Long;
use IO::Handle;
use IO::Select;
use JSON::PP;
use Net::SMPP;
use Time::HiRes qw(time);

my ($port, $port_file, $record, $deliver_file, $ucs2, $receipts, $password) = (0);
my ($hold_after, $enquire_every) = (-1, 0);
my @deliver;
GetOptions(
    'port=i'          => \$port,
    'port-file=s'     => \$port_file,
    'record=s'        => \$record,
    'deliver=s'       => \@deliver,
    'deliver-file=s'  => \$deliver_file,
    'ucs2'            => \$ucs2,
    'hold-after=i'    => \$hold_after,
    'receipts'        => \$receipts,
    'enquire-every=f' => \$enquire_every,
    'password=s'      => \$password,
) or die "bad arguments\n";
die "--record is required\n" unless $record;

my @queue = map { [split /=/, $_, 2] } @deliver;
if ($deliver_file) {
    open my $in, '<', $deliver_file or die "$deliver_file: $!\n";
    while (my $line = <$in>) {
        chomp $line;
        push @queue, [split /\t/, $line, 2] if length $line;
    }
    close $in;
}

open my $out, '>>', $record or die "$record: $!\n";
$out->autoflush(1);
my $json = JSON::PP->new->canonical;
sub note { my %event = @_; $event{t} = time; print $out $json->encode(\%event), "\n"; }

my $listen = Net::SMPP->new_listen('127.0.0.1', port => $port, async => 1, smpp_version => 0x34)
    or die "cannot listen on 127.0.0.1:$port: $!\n";
if ($port_file) {
    open my $pf, '>', "$port_file.tmp" or die "$port_file: $!\n";
    print $pf $listen->sockport, "\n";
    close $pf;
    rename "$port_file.tmp", $port_file or die "$port_file: $!\n";
}
note(event => 'listening', port => $listen->sockport, pid => $$);

my ($submits, $message_ids) = (0, 0);
while (1) {
    my $conn = $listen->accept or next;
    serve($conn);
    close $conn;
    note(event => 'closed');
}

sub serve {
    my ($c) = @_;
    my $select = IO::Select->new($c);
    my $bound = 0;
    my $next_enquire = time + ($enquire_every || 1e9);
    while (1) {
        if ($bound) {
            # A few per turn, so that the submits coming back are read in between.
            for (1 .. 20) {
                my $item = shift @queue or last;
                my ($number, $text) = @$item;
                my $seq = $c->deliver_sm(
                    source_addr => $number, destination_addr => '10661234',
                    source_addr_ton => 1, source_addr_npi => 1,
                    esm_class => 0, data_coding => $ucs2 ? 8 : 0,
                    short_message => $ucs2 ? encode('UCS-2BE', decode_utf8($text)) : $text,
                );
                note(event => 'deliver_sm', seq => $seq, source_addr => $number);
            }
            if ($enquire_every && time >= $next_enquire) {
                my $seq = $c->enquire_link();
                note(event => 'enquire_link_sent', seq => $seq);
                $next_enquire = time + $enquire_every;
            }
        }
        next unless $select->can_read(0.02);
        my $pdu = $c->read_pdu() or return;
        my $cmd = Net::SMPP::pdu_tab->{$pdu->{cmd}}{cmd} // sprintf('0x%08x', $pdu->{cmd});
        if ($cmd eq 'bind_transceiver') {
            my $ok = !defined $password || $pdu->{password} eq $password;
            $c->bind_transceiver_resp(system_id => 'TESTSMSC', seq => $pdu->{seq},
                                      status => $ok ? 0 : 0x0E);
            note(event => 'bind_transceiver', system_id => $pdu->{system_id},
                 system_type => $pdu->{system_type}, accepted => $ok ? JSON::PP::true : JSON::PP::false);
            return unless $ok;
            $bound = 1;
        } elsif ($cmd eq 'submit_sm') {
            $submits++;
            my $acked = $hold_after < 0 || $submits <= $hold_after;
            my $id = sprintf('M%09d', ++$message_ids);
            note(event => 'submit_sm', seq => $pdu->{seq},
                 source_addr => $pdu->{source_addr}, destination_addr => $pdu->{destination_addr},
                 esm_class => $pdu->{esm_class}, data_coding => $pdu->{data_coding},
                 registered_delivery => $pdu->{registered_delivery},
                 short_message => unpack('H*', $pdu->{short_message}),
                 acked => $acked ? JSON::PP::true : JSON::PP::false,
                 message_id => $acked ? $id : undef);
            next unless $acked;
            $c->submit_sm_resp(message_id => $id, seq => $pdu->{seq});
            if ($receipts) {
                my $seq = $c->deliver_sm(
                    source_addr => $pdu->{destination_addr}, destination_addr => $pdu->{source_addr},
                    esm_class => 0x04, data_coding => 0,
                    short_message => "id:$id sub:001 dlvrd:001 submit date:2612010930 "
                        . "done date:2612010930 stat:DELIVRD err:000 text:",
                );
                note(event => 'receipt_sent', seq => $seq, message_id => $id);
            }
        } elsif ($cmd eq 'enquire_link') {
            $c->enquire_link_resp(seq => $pdu->{seq});
            note(event => 'enquire_link', seq => $pdu->{seq});
        } elsif ($cmd eq 'unbind') {
            $c->unbind_resp(seq => $pdu->{seq});
            note(event => 'unbind');
            return;
        } else {
            note(event => $cmd, seq => $pdu->{seq}, status => $pdu->{status});
        }
    }
}
