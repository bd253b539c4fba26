/**
 * Every word the waiting page says to visitors, in the languages it ships with, and the
 * operator's own wording (`pages.language`, `pages.messages`; see docs/configuration.md).
 *
 * A message is a template: `{name}` is replaced by a value, everything else is text (escaped
 * when it goes into HTML). The page's script receives the messages it needs as JSON
 * (`clientMessagesJson`) and fills them the same way, so the live updates speak the page's
 * language. Phrases used inside sentences (`eta*`) start in lower case; the page capitalises
 * them where they stand alone.
 */

/** English: the reference catalogue, which defines the message keys. */
const EN = {
  eyebrow: 'Waiting room',
  skipLink: 'Skip to content',
  footer: 'Anteroom keeps your place in a fair, first-come queue. Reloading never loses it.',
  joinTitle: 'Waiting room',
  joinHeading: 'The site is busy',
  joinLead: 'Take your place in the queue and we will let you in as soon as it is your turn.',
  joinWaitingNow: 'People waiting now: {n}',
  joinButton: 'Take your place',
  joinHint: 'You keep your place if you reload or come back to this page.',
  passthroughTitle: 'Go straight in',
  passthroughHeading: 'No waiting right now',
  passthroughLead: 'The site is ready for you. Go straight in.',
  passthroughButton: 'Go to the site',
  closedTitle: 'Waiting room closed',
  closedHeading: 'This waiting room is closed',
  closedLead: 'It is not taking new visitors right now. Please come back later.',
  closedButton: 'Check again',
  admittedTitle: "You're in",
  admittedLead: 'Your place was number {n}. You have been admitted.',
  admittedContinue: 'Continue to the site',
  tokensSummary: 'Your admission tokens',
  tokensHint: 'The site checks these to let you in. They are valid for {duration}.',
  accessToken: 'Access token',
  idToken: 'ID token',
  refreshToken: 'Refresh token',
  endedTitle: 'Visit ended',
  endedHeading: 'Your visit has ended',
  endedLead: 'Your visit has ended. If you want to come back, join the queue again.',
  rejoinButton: 'Join the queue again',
  soldOutHeading: 'Sold out',
  soldOutLead: 'Everything has gone: there is nothing left to wait for. Thank you for your patience.',
  pausedNotice: 'The queue is paused for the moment. You keep your place.',
  waitingTitle: 'Waiting room',
  waitingHeading: "You're in the queue",
  yourPlace: 'Your place',
  peopleAhead: 'People ahead of you',
  estimatedWait: 'Estimated wait',
  progressLabel: 'Queue progress',
  progressBar: '{value} of {max}',
  progressText: '{value} of {max} places let in so far',
  reloadHint: 'Reload this page to see your latest position: {link}.',
  reloadLink: 'reload',
  eligibleTitle: "It's your turn",
  eligibleLead: 'Thank you for waiting. You can go in now.',
  eligibleKeptFor: 'Your turn is kept for {time}.',
  eligibleButton: 'Let me in',
  expiredTitle: 'Your place has expired',
  expiredLead: 'Your turn came but was not used in time. You can join the queue again.',
  etaUnknown: 'estimating… not enough data yet',
  etaUnderMinute: 'less than a minute',
  etaMinute: 'about 1 minute',
  etaMinutes: 'about {n} minutes',
  etaHour: 'about 1 hour',
  etaHours: 'about {n} hours',
  etaHourMinutes: 'about 1 hour {m} min',
  etaHoursMinutes: 'about {n} hours {m} min',
  announceAheadOne: '1 person ahead of you. Estimated wait: {eta}.',
  announceAhead: '{n} people ahead of you. Estimated wait: {eta}.',
  alertEligible: "It's your turn. Press Let me in to go in.",
  alertExpired: 'Your place has expired. You can join the queue again.',
  announcePaused: 'The queue is paused. You keep your place.',
  announceMoving: 'The queue is moving again.',
  problemWaitTitle: 'Please wait a moment',
  problemWaitText: 'Please try again shortly.',
  problemRetryIn: 'Try again in {n} seconds.',
  problemFailedTitle: 'That did not work',
  problemErrorTitle: 'Something went wrong',
  problemErrorText: 'Please try again in a moment.',
  problemTryAgain: 'Try again',
  problemNoRoomTitle: 'No such waiting room',
  problemNoRoomText: 'Check the address and try again.',
  signInExpiredTitle: 'This sign-in link has expired',
  signInExpiredText:
    'Go back to the site you came from and try again. If you already had a place in the queue, you keep it.',
  metaDescription: 'A fair, first-come waiting room: keep your place and go in when it is your turn.',
  liveHint: 'This page updates by itself. You can leave it open.',
  autoRefreshHint: 'This page refreshes itself about every {n} seconds.',
  waitingHeadingNext: "You're next",
  turnKeptNotice: 'When your turn comes, it is kept for {time}.',
  oneTabHint: 'One tab is enough: more tabs or reloads never move you forward, and never lose your place.',
  expiryWarning: 'Your turn runs out in less than a minute. Go in now to keep it.',
  alertExpiryWarning: 'Your turn runs out in less than a minute. Press Let me in to go in now.',
  lastUpdated: 'Last updated {time}',
  connectionLive: 'live',
  connectionReconnecting: 'reconnecting…',
  connectionOffline: 'offline',
  announceLive: 'The connection is back. The page is live again.',
  announceReconnecting: 'The connection was lost. Reconnecting…',
  announceOffline: 'You are offline. The page will update when the connection is back.',
  announceReset: 'The waiting room was reset. Your place is gone: you can take a new one.',
  problemHomeLink: 'Go to the start page',
  challengeLabel: 'Checking your browser',
  challengeLead:
    'Before you take a place, your browser solves a short puzzle that keeps bots out. It takes a few seconds.',
  challengeWorking: 'Your browser is solving the puzzle: {percent} %',
  challengeJoinWhenDone: 'Almost there: you take your place as soon as the puzzle is solved.',
  challengeDone: 'Done. You can take your place.',
  challengeNoScript:
    'This waiting room asks your browser to solve a short puzzle before you take a place, to keep bots out. It needs JavaScript: please turn JavaScript on and reload this page.',
  challengeNoWorker:
    'Your browser cannot solve the puzzle this waiting room asks for. Please try another browser.',
  challengeWidgetLead: 'Before you take a place, please confirm you are a person.',
  challengeWidgetNoScript:
    'This waiting room asks you to confirm you are a person before you take a place. The check needs JavaScript: please turn JavaScript on and reload this page.',
  challengeFailed: 'The check did not go through, or it expired. Please try again.',
  prequeueTitle: 'Opening soon',
  prequeueHeading: "You're in the pre-queue",
  prequeueLeadShuffle:
    'The queue opens at {time}. Then everyone in the pre-queue gets a place in a random draw: joining early or at the last minute makes no difference.',
  prequeueLeadFifo:
    'The queue opens at {time}. Then everyone in the pre-queue gets a place, in the order they joined.',
  startsIn: 'Opens in',
  drawingNotice: 'The queue is opening. Your place shows here in a moment.',
  prequeueJoinHeading: 'Opening soon',
  prequeueJoinButton: 'Join the pre-queue',
  announceStartSoon: 'The queue opens in less than a minute.',
  announceDrawn: 'The queue is open. Your place is number {n}.',
};

export type MessageKey = keyof typeof EN;
export type Messages = Readonly<Record<MessageKey, string>>;
export const en: Messages = EN;
export const MESSAGE_KEYS = Object.keys(EN) as readonly MessageKey[];

const fr: Messages = {
  eyebrow: 'Salle d’attente',
  skipLink: 'Aller au contenu',
  footer:
    'Anteroom garde votre place dans une file d’attente équitable, par ordre d’arrivée. Recharger la page ne vous la fait jamais perdre.',
  joinTitle: 'Salle d’attente',
  joinHeading: 'Le site est très demandé',
  joinLead: 'Prenez votre place dans la file : nous vous laisserons entrer dès que ce sera votre tour.',
  joinWaitingNow: 'Personnes en attente : {n}',
  joinButton: 'Prendre ma place',
  joinHint: 'Vous gardez votre place si vous rechargez la page ou y revenez plus tard.',
  passthroughTitle: 'Entrez directement',
  passthroughHeading: 'Pas d’attente pour le moment',
  passthroughLead: 'Le site est prêt à vous accueillir. Entrez directement.',
  passthroughButton: 'Aller sur le site',
  closedTitle: 'Salle d’attente fermée',
  closedHeading: 'Cette salle d’attente est fermée',
  closedLead: 'Elle n’accepte pas de nouveaux visiteurs pour le moment. Revenez plus tard.',
  closedButton: 'Vérifier à nouveau',
  admittedTitle: 'Vous pouvez entrer',
  admittedLead: 'Votre place était le numéro {n}. Votre admission est confirmée.',
  admittedContinue: 'Continuer vers le site',
  tokensSummary: 'Vos jetons d’admission',
  tokensHint: 'Le site les vérifie pour vous laisser entrer. Ils sont valables {duration}.',
  accessToken: 'Jeton d’accès',
  idToken: 'Jeton d’identité',
  refreshToken: 'Jeton de renouvellement',
  endedTitle: 'Visite terminée',
  endedHeading: 'Votre visite est terminée',
  endedLead: 'Votre visite est terminée. Pour revenir, reprenez une place dans la file.',
  rejoinButton: 'Reprendre une place',
  soldOutHeading: 'Épuisé',
  soldOutLead: 'Tout est parti : il n’y a plus rien à attendre. Merci de votre patience.',
  pausedNotice: 'La file est en pause pour le moment. Vous gardez votre place.',
  waitingTitle: 'Salle d’attente',
  waitingHeading: 'Vous êtes dans la file',
  yourPlace: 'Votre place',
  peopleAhead: 'Personnes devant vous',
  estimatedWait: 'Attente estimée',
  progressLabel: 'Avancement de la file',
  progressBar: '{value} sur {max}',
  progressText: 'Places déjà admises : {value} sur {max}',
  reloadHint: 'Rechargez cette page pour voir votre position à jour : {link}.',
  reloadLink: 'recharger',
  eligibleTitle: 'C’est votre tour',
  eligibleLead: 'Merci de votre patience. Vous pouvez entrer.',
  eligibleKeptFor: 'Votre tour est réservé pendant {time}.',
  eligibleButton: 'Entrer',
  expiredTitle: 'Votre place a expiré',
  expiredLead: 'Votre tour est arrivé mais n’a pas été utilisé à temps. Vous pouvez reprendre une place.',
  etaUnknown: 'estimation en cours… pas encore assez de données',
  etaUnderMinute: 'moins d’une minute',
  etaMinute: 'environ 1 minute',
  etaMinutes: 'environ {n} minutes',
  etaHour: 'environ 1 heure',
  etaHours: 'environ {n} heures',
  etaHourMinutes: 'environ 1 heure {m} min',
  etaHoursMinutes: 'environ {n} heures {m} min',
  announceAheadOne: '1 personne devant vous. Attente estimée : {eta}.',
  announceAhead: '{n} personnes devant vous. Attente estimée : {eta}.',
  alertEligible: 'C’est votre tour. Appuyez sur Entrer pour accéder au site.',
  alertExpired: 'Votre place a expiré. Vous pouvez reprendre une place.',
  announcePaused: 'La file est en pause. Vous gardez votre place.',
  announceMoving: 'La file avance de nouveau.',
  problemWaitTitle: 'Merci de patienter un instant',
  problemWaitText: 'Réessayez dans un moment.',
  problemRetryIn: 'Réessayez dans {n} secondes.',
  problemFailedTitle: 'Cela n’a pas fonctionné',
  problemErrorTitle: 'Une erreur s’est produite',
  problemErrorText: 'Réessayez dans un moment.',
  problemTryAgain: 'Réessayer',
  problemNoRoomTitle: 'Cette salle d’attente n’existe pas',
  problemNoRoomText: 'Vérifiez l’adresse et réessayez.',
  signInExpiredTitle: 'Ce lien de connexion a expiré',
  signInExpiredText:
    'Retournez sur le site d’où vous venez et réessayez. Si vous aviez déjà une place dans la file, vous la gardez.',
  metaDescription:
    'Une salle d’attente équitable, par ordre d’arrivée : gardez votre place et entrez quand c’est votre tour.',
  liveHint: 'Cette page se met à jour toute seule. Vous pouvez la laisser ouverte.',
  autoRefreshHint: 'Cette page se recharge d’elle-même environ toutes les {n} secondes.',
  waitingHeadingNext: 'Vous êtes le prochain',
  turnKeptNotice: 'Quand votre tour viendra, il sera réservé pendant {time}.',
  oneTabHint:
    'Un seul onglet suffit : plus d’onglets ou de rechargements ne vous font jamais avancer, ni perdre votre place.',
  expiryWarning: 'Votre tour expire dans moins d’une minute. Entrez maintenant pour le garder.',
  alertExpiryWarning: 'Votre tour expire dans moins d’une minute. Appuyez sur Entrer pour entrer maintenant.',
  lastUpdated: 'Dernière mise à jour {time}',
  connectionLive: 'en direct',
  connectionReconnecting: 'reconnexion…',
  connectionOffline: 'hors ligne',
  announceLive: 'La connexion est rétablie. La page est de nouveau en direct.',
  announceReconnecting: 'La connexion a été perdue. Reconnexion…',
  announceOffline: 'Vous êtes hors ligne. La page se mettra à jour au retour de la connexion.',
  announceReset:
    'La salle d’attente a été réinitialisée. Votre place n’existe plus : vous pouvez en prendre une nouvelle.',
  problemHomeLink: 'Aller à la page d’accueil',
  challengeLabel: 'Vérification de votre navigateur',
  challengeLead:
    'Avant de prendre une place, votre navigateur résout une courte énigme qui tient les robots à l’écart. Cela prend quelques secondes.',
  challengeWorking: 'Votre navigateur résout l’énigme : {percent} %',
  challengeJoinWhenDone: 'Presque fini : vous prendrez votre place dès que l’énigme sera résolue.',
  challengeDone: 'C’est fait. Vous pouvez prendre votre place.',
  challengeNoScript:
    'Cette salle d’attente demande à votre navigateur de résoudre une courte énigme avant de prendre une place, pour tenir les robots à l’écart. Il faut JavaScript : activez-le puis rechargez la page.',
  challengeNoWorker:
    'Votre navigateur ne peut pas résoudre l’énigme demandée par cette salle d’attente. Essayez un autre navigateur.',
  challengeWidgetLead: 'Avant de prendre une place, confirmez que vous êtes une personne.',
  challengeWidgetNoScript:
    'Cette salle d’attente vous demande de confirmer que vous êtes une personne avant de prendre une place. La vérification demande JavaScript : activez-le puis rechargez la page.',
  challengeFailed: 'La vérification n’a pas abouti, ou elle a expiré. Réessayez.',
  prequeueTitle: 'Ouverture prochaine',
  prequeueHeading: 'Vous êtes dans la pré-file',
  prequeueLeadShuffle:
    'La file ouvre à {time}. Chaque personne de la pré-file y reçoit alors une place par tirage au sort : arriver tôt ou à la dernière minute ne change rien.',
  prequeueLeadFifo:
    'La file ouvre à {time}. Chaque personne de la pré-file y reçoit alors une place, dans l’ordre d’arrivée.',
  startsIn: 'Ouverture dans',
  drawingNotice: 'La file s’ouvre. Votre place s’affiche ici dans un instant.',
  prequeueJoinHeading: 'Ouverture prochaine',
  prequeueJoinButton: 'Rejoindre la pré-file',
  announceStartSoon: 'La file ouvre dans moins d’une minute.',
  announceDrawn: 'La file est ouverte. Votre place est la numéro {n}.',
};

const de: Messages = {
  eyebrow: 'Warteraum',
  skipLink: 'Zum Inhalt springen',
  footer:
    'Anteroom hält Ihren Platz in einer fairen Warteschlange nach Ankunftsreihenfolge. Neu laden kostet Sie den Platz nie.',
  joinTitle: 'Warteraum',
  joinHeading: 'Die Website ist stark ausgelastet',
  joinLead: 'Reihen Sie sich in die Warteschlange ein. Wir lassen Sie hinein, sobald Sie an der Reihe sind.',
  joinWaitingNow: 'Zurzeit wartende Personen: {n}',
  joinButton: 'Platz einnehmen',
  joinHint: 'Sie behalten Ihren Platz, wenn Sie die Seite neu laden oder später zurückkehren.',
  passthroughTitle: 'Direkt eintreten',
  passthroughHeading: 'Zurzeit keine Wartezeit',
  passthroughLead: 'Die Website ist bereit. Treten Sie direkt ein.',
  passthroughButton: 'Zur Website',
  closedTitle: 'Warteraum geschlossen',
  closedHeading: 'Dieser Warteraum ist geschlossen',
  closedLead: 'Er nimmt zurzeit keine neuen Besucher auf. Bitte kommen Sie später wieder.',
  closedButton: 'Erneut prüfen',
  admittedTitle: 'Sie sind dran',
  admittedLead: 'Ihr Platz war Nummer {n}. Sie wurden eingelassen.',
  admittedContinue: 'Weiter zur Website',
  tokensSummary: 'Ihre Zugangstoken',
  tokensHint: 'Die Website prüft diese, um Sie einzulassen. Sie sind gültig für {duration}.',
  accessToken: 'Zugriffstoken',
  idToken: 'ID-Token',
  refreshToken: 'Aktualisierungstoken',
  endedTitle: 'Besuch beendet',
  endedHeading: 'Ihr Besuch ist beendet',
  endedLead: 'Ihr Besuch ist beendet. Wenn Sie zurückkommen möchten, reihen Sie sich erneut ein.',
  rejoinButton: 'Erneut einreihen',
  soldOutHeading: 'Ausverkauft',
  soldOutLead: 'Alles ist vergeben: Es gibt nichts mehr, worauf Sie warten müssten. Danke für Ihre Geduld.',
  pausedNotice: 'Die Warteschlange ist vorübergehend angehalten. Sie behalten Ihren Platz.',
  waitingTitle: 'Warteraum',
  waitingHeading: 'Sie sind in der Warteschlange',
  yourPlace: 'Ihr Platz',
  peopleAhead: 'Personen vor Ihnen',
  estimatedWait: 'Geschätzte Wartezeit',
  progressLabel: 'Fortschritt der Warteschlange',
  progressBar: '{value} von {max}',
  progressText: '{value} von {max} Plätzen bisher eingelassen',
  reloadHint: 'Laden Sie diese Seite neu, um Ihre aktuelle Position zu sehen: {link}.',
  reloadLink: 'neu laden',
  eligibleTitle: 'Sie sind an der Reihe',
  eligibleLead: 'Danke für Ihre Geduld. Sie können jetzt eintreten.',
  eligibleKeptFor: 'Ihr Platz wird noch {time} freigehalten.',
  eligibleButton: 'Eintreten',
  expiredTitle: 'Ihr Platz ist abgelaufen',
  expiredLead:
    'Sie waren an der Reihe, haben aber nicht rechtzeitig eingelöst. Sie können sich erneut einreihen.',
  etaUnknown: 'wird geschätzt… noch nicht genug Daten',
  etaUnderMinute: 'weniger als eine Minute',
  etaMinute: 'etwa 1 Minute',
  etaMinutes: 'etwa {n} Minuten',
  etaHour: 'etwa 1 Stunde',
  etaHours: 'etwa {n} Stunden',
  etaHourMinutes: 'etwa 1 Stunde {m} Min.',
  etaHoursMinutes: 'etwa {n} Stunden {m} Min.',
  announceAheadOne: '1 Person vor Ihnen. Geschätzte Wartezeit: {eta}.',
  announceAhead: '{n} Personen vor Ihnen. Geschätzte Wartezeit: {eta}.',
  alertEligible: 'Sie sind an der Reihe. Wählen Sie „Eintreten“, um hineinzugehen.',
  alertExpired: 'Ihr Platz ist abgelaufen. Sie können sich erneut einreihen.',
  announcePaused: 'Die Warteschlange ist angehalten. Sie behalten Ihren Platz.',
  announceMoving: 'Die Warteschlange bewegt sich wieder.',
  problemWaitTitle: 'Bitte einen Moment Geduld',
  problemWaitText: 'Bitte versuchen Sie es gleich noch einmal.',
  problemRetryIn: 'Erneut versuchen in {n} Sekunden.',
  problemFailedTitle: 'Das hat nicht geklappt',
  problemErrorTitle: 'Etwas ist schiefgelaufen',
  problemErrorText: 'Bitte versuchen Sie es gleich noch einmal.',
  problemTryAgain: 'Erneut versuchen',
  problemNoRoomTitle: 'Diesen Warteraum gibt es nicht',
  problemNoRoomText: 'Prüfen Sie die Adresse und versuchen Sie es erneut.',
  signInExpiredTitle: 'Dieser Anmeldelink ist abgelaufen',
  signInExpiredText:
    'Gehen Sie zurück zur Website, von der Sie kamen, und versuchen Sie es erneut. Einen bereits erhaltenen Platz in der Warteschlange behalten Sie.',
  metaDescription:
    'Ein fairer Warteraum nach Ankunftsreihenfolge: Behalten Sie Ihren Platz und treten Sie ein, wenn Sie an der Reihe sind.',
  liveHint: 'Diese Seite aktualisiert sich von selbst. Sie können sie geöffnet lassen.',
  autoRefreshHint: 'Diese Seite lädt sich etwa alle {n} Sekunden selbst neu.',
  waitingHeadingNext: 'Sie sind als Nächstes dran',
  turnKeptNotice: 'Wenn Sie an der Reihe sind, wird Ihr Platz {time} lang freigehalten.',
  oneTabHint:
    'Ein Tab genügt: Mehr Tabs oder neu laden bringen Sie nie schneller voran und kosten Sie nie den Platz.',
  expiryWarning: 'Ihr Platz verfällt in weniger als einer Minute. Treten Sie jetzt ein, um ihn zu behalten.',
  alertExpiryWarning:
    'Ihr Platz verfällt in weniger als einer Minute. Wählen Sie „Eintreten“, um jetzt hineinzugehen.',
  lastUpdated: 'Zuletzt aktualisiert {time}',
  connectionLive: 'live',
  connectionReconnecting: 'Verbindung wird wiederhergestellt…',
  connectionOffline: 'offline',
  announceLive: 'Die Verbindung ist wieder da. Die Seite ist wieder live.',
  announceReconnecting: 'Die Verbindung wurde unterbrochen. Sie wird wiederhergestellt…',
  announceOffline: 'Sie sind offline. Die Seite aktualisiert sich, sobald die Verbindung zurück ist.',
  announceReset:
    'Der Warteraum wurde zurückgesetzt. Ihr Platz ist verfallen: Sie können einen neuen einnehmen.',
  problemHomeLink: 'Zur Startseite',
  challengeLabel: 'Ihr Browser wird geprüft',
  challengeLead:
    'Bevor Sie einen Platz erhalten, löst Ihr Browser ein kurzes Rätsel, das Bots fernhält. Das dauert einige Sekunden.',
  challengeWorking: 'Ihr Browser löst das Rätsel: {percent} %',
  challengeJoinWhenDone: 'Gleich geschafft: Sie erhalten Ihren Platz, sobald das Rätsel gelöst ist.',
  challengeDone: 'Fertig. Sie können sich jetzt einreihen.',
  challengeNoScript:
    'Dieser Warteraum lässt Ihren Browser ein kurzes Rätsel lösen, bevor Sie einen Platz erhalten, um Bots fernzuhalten. Dafür ist JavaScript nötig: Bitte schalten Sie JavaScript ein und laden Sie die Seite neu.',
  challengeNoWorker:
    'Ihr Browser kann das Rätsel dieses Warteraums nicht lösen. Bitte versuchen Sie es mit einem anderen Browser.',
  challengeWidgetLead: 'Bevor Sie einen Platz erhalten, bestätigen Sie bitte, dass Sie ein Mensch sind.',
  challengeWidgetNoScript:
    'Dieser Warteraum bittet Sie zu bestätigen, dass Sie ein Mensch sind, bevor Sie einen Platz erhalten. Die Prüfung braucht JavaScript: Bitte schalten Sie JavaScript ein und laden Sie die Seite neu.',
  challengeFailed: 'Die Prüfung ist nicht gelungen oder abgelaufen. Bitte versuchen Sie es erneut.',
  prequeueTitle: 'Öffnet in Kürze',
  prequeueHeading: 'Sie sind in der Vorwarteschlange',
  prequeueLeadShuffle:
    'Die Warteschlange öffnet um {time}. Dann erhalten alle in der Vorwarteschlange per Losverfahren einen Platz: Ob Sie früh oder in letzter Minute kommen, spielt keine Rolle.',
  prequeueLeadFifo:
    'Die Warteschlange öffnet um {time}. Dann erhalten alle in der Vorwarteschlange einen Platz, in der Reihenfolge ihrer Ankunft.',
  startsIn: 'Öffnet in',
  drawingNotice: 'Die Warteschlange öffnet gerade. Ihr Platz erscheint gleich hier.',
  prequeueJoinHeading: 'Öffnet in Kürze',
  prequeueJoinButton: 'In die Vorwarteschlange',
  announceStartSoon: 'Die Warteschlange öffnet in weniger als einer Minute.',
  announceDrawn: 'Die Warteschlange ist offen. Ihr Platz ist Nummer {n}.',
};

const es: Messages = {
  eyebrow: 'Sala de espera',
  skipLink: 'Ir al contenido',
  footer:
    'Anteroom guarda tu lugar en una fila justa, por orden de llegada. Recargar la página nunca te lo hace perder.',
  joinTitle: 'Sala de espera',
  joinHeading: 'El sitio está muy solicitado',
  joinLead: 'Toma tu lugar en la fila y te dejaremos entrar en cuanto sea tu turno.',
  joinWaitingNow: 'Personas esperando ahora: {n}',
  joinButton: 'Tomar mi lugar',
  joinHint: 'Conservas tu lugar si recargas la página o vuelves más tarde.',
  passthroughTitle: 'Entra directamente',
  passthroughHeading: 'Ahora no hay espera',
  passthroughLead: 'El sitio está listo para ti. Entra directamente.',
  passthroughButton: 'Ir al sitio',
  closedTitle: 'Sala de espera cerrada',
  closedHeading: 'Esta sala de espera está cerrada',
  closedLead: 'No admite nuevos visitantes en este momento. Vuelve más tarde.',
  closedButton: 'Comprobar de nuevo',
  admittedTitle: 'Ya puedes entrar',
  admittedLead: 'Tu lugar era el número {n}. Ya tienes acceso.',
  admittedContinue: 'Continuar al sitio',
  tokensSummary: 'Tus tokens de admisión',
  tokensHint: 'El sitio los comprueba para dejarte entrar. Son válidos durante {duration}.',
  accessToken: 'Token de acceso',
  idToken: 'Token de identidad',
  refreshToken: 'Token de renovación',
  endedTitle: 'Visita terminada',
  endedHeading: 'Tu visita ha terminado',
  endedLead: 'Tu visita ha terminado. Si quieres volver, únete de nuevo a la fila.',
  rejoinButton: 'Unirme de nuevo a la fila',
  soldOutHeading: 'Agotado',
  soldOutLead: 'Ya no queda nada: no hay nada más que esperar. Gracias por tu paciencia.',
  pausedNotice: 'La fila está en pausa por el momento. Conservas tu lugar.',
  waitingTitle: 'Sala de espera',
  waitingHeading: 'Estás en la fila',
  yourPlace: 'Tu lugar',
  peopleAhead: 'Personas delante de ti',
  estimatedWait: 'Espera estimada',
  progressLabel: 'Avance de la fila',
  progressBar: '{value} de {max}',
  progressText: '{value} de {max} lugares admitidos hasta ahora',
  reloadHint: 'Recarga esta página para ver tu posición actual: {link}.',
  reloadLink: 'recargar',
  eligibleTitle: 'Es tu turno',
  eligibleLead: 'Gracias por esperar. Ya puedes entrar.',
  eligibleKeptFor: 'Tu turno se reserva durante {time}.',
  eligibleButton: 'Entrar',
  expiredTitle: 'Tu lugar ha caducado',
  expiredLead: 'Llegó tu turno, pero no se usó a tiempo. Puedes unirte de nuevo a la fila.',
  etaUnknown: 'calculando… aún no hay datos suficientes',
  etaUnderMinute: 'menos de un minuto',
  etaMinute: 'alrededor de 1 minuto',
  etaMinutes: 'unos {n} minutos',
  etaHour: 'alrededor de 1 hora',
  etaHours: 'unas {n} horas',
  etaHourMinutes: 'alrededor de 1 hora {m} min',
  etaHoursMinutes: 'unas {n} horas {m} min',
  announceAheadOne: '1 persona delante de ti. Espera estimada: {eta}.',
  announceAhead: '{n} personas delante de ti. Espera estimada: {eta}.',
  alertEligible: 'Es tu turno. Pulsa Entrar para acceder.',
  alertExpired: 'Tu lugar ha caducado. Puedes unirte de nuevo a la fila.',
  announcePaused: 'La fila está en pausa. Conservas tu lugar.',
  announceMoving: 'La fila vuelve a avanzar.',
  problemWaitTitle: 'Espera un momento',
  problemWaitText: 'Inténtalo de nuevo en breve.',
  problemRetryIn: 'Inténtalo de nuevo en {n} segundos.',
  problemFailedTitle: 'No ha funcionado',
  problemErrorTitle: 'Algo ha salido mal',
  problemErrorText: 'Inténtalo de nuevo en un momento.',
  problemTryAgain: 'Reintentar',
  problemNoRoomTitle: 'Esta sala de espera no existe',
  problemNoRoomText: 'Comprueba la dirección e inténtalo de nuevo.',
  signInExpiredTitle: 'Este enlace de inicio de sesión ha caducado',
  signInExpiredText:
    'Vuelve al sitio del que vienes e inténtalo de nuevo. Si ya tenías un lugar en la fila, lo conservas.',
  metaDescription:
    'Una sala de espera justa, por orden de llegada: guarda tu lugar y entra cuando sea tu turno.',
  liveHint: 'Esta página se actualiza sola. Puedes dejarla abierta.',
  autoRefreshHint: 'Esta página se recarga sola cada {n} segundos aproximadamente.',
  waitingHeadingNext: 'Eres el siguiente',
  turnKeptNotice: 'Cuando llegue tu turno, se guardará durante {time}.',
  oneTabHint:
    'Basta con una pestaña: más pestañas o recargas nunca te hacen avanzar ni te hacen perder tu lugar.',
  expiryWarning: 'Tu turno caduca en menos de un minuto. Entra ahora para no perderlo.',
  alertExpiryWarning: 'Tu turno caduca en menos de un minuto. Pulsa Entrar para entrar ahora.',
  lastUpdated: 'Última actualización {time}',
  connectionLive: 'en directo',
  connectionReconnecting: 'reconectando…',
  connectionOffline: 'sin conexión',
  announceLive: 'La conexión ha vuelto. La página vuelve a estar en directo.',
  announceReconnecting: 'Se perdió la conexión. Reconectando…',
  announceOffline: 'Estás sin conexión. La página se actualizará cuando vuelva la conexión.',
  announceReset: 'La sala de espera se ha reiniciado. Tu lugar ya no existe: puedes tomar uno nuevo.',
  problemHomeLink: 'Ir a la página de inicio',
  challengeLabel: 'Comprobando tu navegador',
  challengeLead:
    'Antes de tomar un lugar, tu navegador resuelve un breve acertijo que mantiene fuera a los bots. Tarda unos segundos.',
  challengeWorking: 'Tu navegador está resolviendo el acertijo: {percent} %',
  challengeJoinWhenDone: 'Casi listo: tomarás tu lugar en cuanto se resuelva el acertijo.',
  challengeDone: 'Listo. Ya puedes tomar tu lugar.',
  challengeNoScript:
    'Esta sala de espera pide a tu navegador que resuelva un breve acertijo antes de tomar un lugar, para mantener fuera a los bots. Necesita JavaScript: actívalo y recarga la página.',
  challengeNoWorker:
    'Tu navegador no puede resolver el acertijo que pide esta sala de espera. Prueba con otro navegador.',
  challengeWidgetLead: 'Antes de tomar un lugar, confirma que eres una persona.',
  challengeWidgetNoScript:
    'Esta sala de espera te pide confirmar que eres una persona antes de tomar un lugar. La comprobación necesita JavaScript: actívalo y recarga la página.',
  challengeFailed: 'La comprobación no se completó o caducó. Inténtalo de nuevo.',
  prequeueTitle: 'Abre pronto',
  prequeueHeading: 'Estás en la prefila',
  prequeueLeadShuffle:
    'La fila abre a las {time}. Entonces cada persona de la prefila recibe un lugar por sorteo: llegar pronto o en el último minuto no cambia nada.',
  prequeueLeadFifo:
    'La fila abre a las {time}. Entonces cada persona de la prefila recibe un lugar, por orden de llegada.',
  startsIn: 'Abre en',
  drawingNotice: 'La fila se está abriendo. Tu lugar aparecerá aquí en un momento.',
  prequeueJoinHeading: 'Abre pronto',
  prequeueJoinButton: 'Entrar en la prefila',
  announceStartSoon: 'La fila abre en menos de un minuto.',
  announceDrawn: 'La fila está abierta. Tu lugar es el número {n}.',
};

/** The languages the page ships with (`pages.language`). */
export const LANGUAGES = { en, fr, de, es } as const;
export type Language = keyof typeof LANGUAGES;

/** The page's words: a shipped language, with the operator's overrides on top. */
export interface PageText {
  /** BCP 47 tag of the page (`<html lang>`). */
  lang: string;
  messages: Messages;
}

export const DEFAULT_PAGE_TEXT: PageText = { lang: 'en', messages: en };

/** The languages the pages are offered in (`pages.language`), the default first. */
export interface PageLanguages {
  offered: readonly [PageText, ...PageText[]];
}

/** Longest `Accept-Language` read, and most entries: enough for any browser, bounded for the rest. */
const MAX_ACCEPT_LANGUAGE_CHARS = 512;
const MAX_ACCEPT_LANGUAGE_ENTRIES = 20;

/**
 * The offered language a visitor prefers (RFC 9110 `Accept-Language`: quality values, a region
 * such as `fr-CA` matching `fr`, `*` matching the default), else the default.
 */
export function pageTextFor(pages: PageLanguages, acceptLanguage: string | undefined): PageText {
  const [fallback] = pages.offered;
  if (pages.offered.length === 1 || !acceptLanguage) return fallback;
  const ranges = acceptLanguage
    .slice(0, MAX_ACCEPT_LANGUAGE_CHARS)
    .split(',')
    .slice(0, MAX_ACCEPT_LANGUAGE_ENTRIES)
    .map((entry, index) => {
      const [range = '', ...parameters] = entry.trim().toLowerCase().split(';');
      const weight = parameters
        .map((parameter) => parameter.trim())
        .find((parameter) => parameter.startsWith('q='));
      // A malformed weight disqualifies its entry rather than counting as 1.
      const q =
        weight === undefined ? 1 : /^q=[01](?:\.\d{0,3})?$/.test(weight) ? Number(weight.slice(2)) : 0;
      return { tag: range.trim().split('-')[0] ?? '', q, index };
    })
    .filter((range) => range.q > 0 && /^(?:[a-z]{1,8}|\*)$/.test(range.tag))
    .sort((a, b) => b.q - a.q || a.index - b.index);
  for (const { tag } of ranges) {
    if (tag === '*') return fallback;
    const match = pages.offered.find((text) => text.lang === tag);
    if (match) return match;
  }
  return fallback;
}

/** A placeholder, `{name}` (global: for `matchAll` and `replace`, which never share its state). */
export const PLACEHOLDER = /\{(\w+)\}/g;

/** The placeholders of a template, sorted (`{n}`, `{value}`…). */
export function placeholders(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((match) => match[1] as string).sort();
}

/** Replace `{name}` by its value; an unknown placeholder stays as written. */
export function fill(template: string, values: Readonly<Record<string, string | number>> = {}): string {
  return template.replace(PLACEHOLDER, (whole, name: string) =>
    Object.hasOwn(values, name) ? String(values[name]) : whole,
  );
}

/** A phrase as it reads at the start of a line. */
export function capitalize(text: string): string {
  return text.charAt(0).toLocaleUpperCase() + text.slice(1);
}

/** The messages the page's script needs to update the page live. */
export const CLIENT_MESSAGE_KEYS: readonly MessageKey[] = [
  'progressBar',
  'progressText',
  'eligibleTitle',
  'expiredTitle',
  'etaUnknown',
  'etaUnderMinute',
  'etaMinute',
  'etaMinutes',
  'etaHour',
  'etaHours',
  'etaHourMinutes',
  'etaHoursMinutes',
  'announceAheadOne',
  'announceAhead',
  'alertEligible',
  'alertExpired',
  'announcePaused',
  'soldOutLead',
  'announceMoving',
  'liveHint',
  'waitingHeading',
  'waitingHeadingNext',
  'waitingTitle',
  'alertExpiryWarning',
  'lastUpdated',
  'connectionLive',
  'connectionReconnecting',
  'connectionOffline',
  'announceLive',
  'announceReconnecting',
  'announceOffline',
  'announceStartSoon',
  'announceDrawn',
];

/** The messages of the entry challenge's script (`assets/entry-challenge.js`). */
export const CHALLENGE_MESSAGE_KEYS: readonly MessageKey[] = [
  'challengeWorking',
  'challengeJoinWhenDone',
  'challengeDone',
  'challengeNoWorker',
];

/** Those messages as JSON (only the join form of an event with a proof of work carries them). */
export function challengeMessagesJson(messages: Messages): string {
  return JSON.stringify(Object.fromEntries(CHALLENGE_MESSAGE_KEYS.map((key) => [key, messages[key]])));
}

const clientJson = new WeakMap<Messages, string>();

/** Those messages as JSON, made once per catalogue (every waiting page carries them). */
export function clientMessagesJson(messages: Messages): string {
  let json = clientJson.get(messages);
  if (json === undefined) {
    json = JSON.stringify(Object.fromEntries(CLIENT_MESSAGE_KEYS.map((key) => [key, messages[key]])));
    clientJson.set(messages, json);
  }
  return json;
}
